// Starting a run's services, the one way run, serve and verify do it: in order, pinned, with the
// environment handed to the targets; when one fails the others already started are stopped (nothing
// is left running) unless the caller keeps going; and only the services that the targets need.
import { describe, expect, it } from 'vitest';
import { servicesFor } from '../../harness/run/plan.ts';
import { startServices } from '../../harness/run/services.ts';
import type { Scenario, Target } from '../../harness/types.ts';
import { FakeRuntime, fakeService } from '../fixtures/fake-runtime.ts';

const quiet = { step() {}, info() {}, warn() {} };
const options = { cpus: [0], readyTimeoutMs: 1000, progress: quiet };

describe('starting services', () => {
  it('starts each in order on the service CPUs and hands every one\'s environment to the targets; stop() stops them all', async () => {
    const runtime = new FakeRuntime();
    const started = await startServices(runtime, [fakeService('db'), fakeService('cache')], options);
    expect(started.running.map((s) => [s.service.name, s.info.cpus])).toEqual([['db', [0]], ['cache', [0]]]);
    expect(started.env).toEqual({ DB_URL: 'fake://127.0.0.1:5', CACHE_URL: 'fake://127.0.0.1:5' });
    await started.stop();
    await started.stop(); // idempotent
    expect(runtime.events).toEqual(['start service db', 'start service cache', 'stop service cache', 'stop service db']);
    expect(runtime.liveCount()).toBe(0);
  });

  it('stops the ones already started when a later one fails, and throws its error', async () => {
    const runtime = new FakeRuntime({ failService: ['cache'] });
    await expect(startServices(runtime, [fakeService('db'), fakeService('cache'), fakeService('queue')], options)).rejects.toThrow(/Service cache exited during start/);
    expect(runtime.events).toEqual(['start service db', 'start service cache', 'stop service db']);
    expect(runtime.liveCount()).toBe(0);
  });

  it('keeps going where asked (a run: only the targets needing the missing one go without it), saying which failed', async () => {
    const runtime = new FakeRuntime({ failService: ['cache'] });
    const started = await startServices(runtime, [fakeService('db'), fakeService('cache'), fakeService('queue')], { ...options, keepGoing: true });
    expect(started.running.map((s) => s.service.name)).toEqual(['db', 'queue']);
    expect(started.failed.map((f) => [f.service.name, String(f.error)])).toEqual([['cache', expect.stringMatching(/exited during start/)]]);
    await started.stop();
    expect(runtime.liveCount()).toBe(0);
  });

  it('starts none once the run is interrupted', async () => {
    const runtime = new FakeRuntime();
    const abort = new AbortController();
    abort.abort();
    const started = await startServices(runtime, [fakeService('db')], { ...options, signal: abort.signal });
    expect(started.running).toEqual([]);
    expect(runtime.events).toEqual([]);
  });
});

describe('the services the targets need', () => {
  const db = fakeService('db');
  const redis = fakeService('redis');
  const target = (name: string, endpoints: string[]): Target => ({ dir: '/x', decl: { name, endpoints } as Target['decl'] });
  const scenario = (name: string, requires: string[], services: ReturnType<typeof fakeService>[], needsService?: Scenario['needsService']): Scenario =>
    ({ name, requires, services, ...(needsService && { needsService }) }) as unknown as Scenario;
  const scenarios = [
    scenario('queries', ['/db'], [db]),
    // Redis only for the targets with several workers, as ws-broadcast asks it for Node.
    scenario('broadcast', ['/ws/broadcast'], [redis], (service, _t, workers) => service !== redis || workers > 1),
    scenario('images', ['/json'], [db], undefined),
  ];
  scenarios[2]!.runtimeNeeds = ['images'];
  const runtime = new FakeRuntime(); // no images

  it('are those of the scenarios each target is measured by, on this runtime, with these workers', () => {
    expect(servicesFor(scenarios, [target('plain', ['/json'])], runtime, 1)).toEqual([]);
    expect(servicesFor(scenarios, [target('dbonly', ['/json', '/db'])], runtime, 1)).toEqual([db]);
    expect(servicesFor(scenarios, [target('ws', ['/ws/broadcast'])], runtime, 1)).toEqual([]);
    expect(servicesFor(scenarios, [target('ws', ['/ws/broadcast'])], runtime, 2)).toEqual([redis]);
    expect(servicesFor(scenarios, [target('plain', ['/json']), target('ws', ['/ws/broadcast'])], runtime, 2)).toEqual([redis]);
  });

  it('leave out a service the scenario alone uses (the registry): serve and verify do not start it', () => {
    const registry = { ...fakeService('registry'), scenarioOnly: true };
    const deploy = scenario('deploy', ['/json'], [registry]);
    expect(servicesFor([...scenarios, deploy], [target('dbonly', ['/json', '/db'])], runtime, 1)).toEqual([db]);
  });
});
