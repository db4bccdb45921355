// A capacity ramp that the machine stops, not the framework: the node target in a container whose
// processes may open a known number of files (the docker runtime's openFiles option). Connects fail
// once the target holds about that many sockets; the ramp must end as a lower bound with that reason,
// read from the container's own processes, and the claim's figure must name it. Needs a container
// engine (Podman here): the test fails, saying what to install, where none answers.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/docker/engine.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { loadTarget, PROJECT_ROOT } from '../../harness/targets.ts';
import { resolveLoaderRuntime } from '../../harness/load/loader-runtime.ts';
import { createWsLoader } from '../../harness/load/ws/index.ts';
import type { Figure, RunResults } from '../../harness/types.ts';
import { capacityKind } from '../../scenarios/ws-capacity-kind.ts';
import { wsCapacityScenario, type CapacityResult } from '../../scenarios/ws-capacity.ts';
import { fakeResults } from '../fixtures/results.ts';
import type { WsOptions } from '../../scenarios/ws-options.ts';
import { fakeLoaders, fakeScenarioContext, FakeRuntime } from '../fixtures/fake-runtime.ts';
import { requireEngine } from '../helpers.ts';

const KNOWN = 1000;

describe('a ramp stopped by the open-files limit of the target\'s processes', () => {
  let engine: Engine;
  let runtime: DockerRuntime;
  beforeAll(async () => {
    engine = await requireEngine();
    runtime = new DockerRuntime(engine, { openFiles: KNOWN });
  });
  afterAll(async () => {
    await runtime?.shutdown();
  });

  it('is a lower bound, says which limit stopped it, and the claim\'s figure names it', { timeout: 600_000 }, async () => {
    const target = loadTarget(path.join(PROJECT_ROOT, 'targets/node'));
    await runtime.prepare(target, () => {});
    const start = () => runtime.start(target, { cpus: [1], readyTimeoutMs: 60_000 });
    const saved: CapacityResult[] = [];
    const fake = new FakeRuntime();
    const ctx = fakeScenarioContext<CapacityResult, WsOptions>(fake, {
      runtime,
      load: { connections: [16], durationS: 1, warmupS: 0, trials: 1, pipelining: 1 },
      // A ceiling far above the limit: only the limit can stop the ramp short of it.
      options: { step: 250, ceiling: 5 * KNOWN, rttLimitMs: 250, ramps: 1, sampleMessages: 50, echoClients: 10, broadcastClients: 10, trialS: 1, messageBytes: 32 },
      loaders: { ...fakeLoaders(fake), ws: createWsLoader({ cpus: [0], runtime: await resolveLoaderRuntime() }) },
      pinning: { loaderCpus: [0], serviceCpus: [0], targetCpus: [1] },
      startTarget: () => start(),
      save: (_name, r) => void saved.push(structuredClone(r)),
    });
    await wsCapacityScenario.run([await start()], ctx);
    const r = saved.at(-1)!;
    const ramp = r.ramps[0]!;
    expect(ramp.targetOpenFiles).toMatchObject({ limit: KNOWN });
    expect(ramp.targetOpenFiles!.source).toMatch(/read inside the container/);
    expect(ramp).toMatchObject({ stopReason: 'target-open-files', lowerBound: true });
    expect(ramp.maxClientsWithinLimits).toBeLessThan(KNOWN);
    expect(ramp.maxClientsWithinLimits).toBeGreaterThanOrEqual(KNOWN - 2 * 250);
    expect(ramp.stopDetail).toMatch(/(near|more than) what the target's processes may open here \(1,000 descriptors each/);
    const run: RunResults = { ...fakeResults(), measurements: [] };
    const figure = capacityKind.figure('held-clients', r, run) as Figure;
    expect(figure).toMatchObject({ lowerBound: true, limit: "the open-files limit of the target's processes (1,000 each, 1 worker(s))" });
  });
});
