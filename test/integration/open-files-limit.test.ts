// RunningTarget.openFilesLimit() in both runtimes, against WebSocket targets: the fixture-ws target
// as local processes, the node target (ws on node:http, cluster) in a container. Started with a
// known limit (the runtimes' openFiles option) each must report exactly it; started without, the
// limit its processes really inherited, checked against what this machine says by another path
// (`ulimit -Hn` here, the host's /proc for the container's processes).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/docker/engine.ts';
import { LABEL_TARGET, labels } from '../../harness/docker/labels.ts';
import { containerOpenFilesLimit } from '../../harness/docker/container.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { parseNofile } from '../../harness/runtime/open-files.ts';
import { processTree } from '../../harness/runtime/process-tree.ts';
import { loadTarget, PROJECT_ROOT } from '../../harness/targets.ts';
import type { RunningTarget, Runtime } from '../../harness/types.ts';
import { FIXTURE_TARGETS, processesUnder, requireEngine } from '../helpers.ts';

const KNOWN = 1000;
const runtimes: Runtime[] = [];
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.shutdown()));
});

/** What a child of this process inherits: Node raised its own soft limit to the hard one, so both are the hard limit. */
const inheritedHere = () => Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());

describe('open-files limit of a local target', () => {
  const target = loadTarget(path.join(FIXTURE_TARGETS, 'fixture-ws'));
  const start = async (runtime: LocalRuntime) => {
    runtimes.push(runtime);
    return runtime.start(target, { cpus: [1], readyTimeoutMs: 10_000 });
  };

  it('reports the limit its processes inherited from the harness', async () => {
    const running = await start(new LocalRuntime());
    const found = await running.openFilesLimit!();
    expect(found).toEqual({ limit: inheritedHere(), processes: 1, source: "/proc/<pid>/limits of the target's 1 process" });
    expect(processesUnder(target.dir)).toHaveLength(1);
    await running.stop();
  });

  it('reports exactly the limit it was started with', async () => {
    expect(inheritedHere()).not.toBe(KNOWN); // else this test could not tell the option from no option
    const running = await start(new LocalRuntime({ openFiles: KNOWN }));
    expect(await running.openFilesLimit!()).toMatchObject({ limit: KNOWN, processes: 1 });
    const [pid] = processesUnder(target.dir);
    // The process's own limits, soft and hard, as the kernel shows them.
    expect(parseNofile(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'))).toEqual({ soft: KNOWN, hard: KNOWN });
    await running.stop();
    expect(await running.openFilesLimit!()).toBeNull(); // nothing left to read
  });
});

describe('open-files limit of a container', () => {
  let engine: Engine;
  const target = loadTarget(path.join(PROJECT_ROOT, 'targets/node'));
  let defaultLimit: number | undefined;
  let image = '';

  beforeAll(async () => {
    engine = await requireEngine(); // fails, saying what to install, where no engine answers
  });

  const start = async (openFiles?: number) => {
    const runtime = new DockerRuntime(engine, openFiles === undefined ? {} : { openFiles });
    runtimes.push(runtime);
    await runtime.prepare(target, () => {});
    // Two CPUs: a cluster primary and two workers, three processes.
    return runtime.start(target, { cpus: [0, 1], readyTimeoutMs: 60_000 });
  };

  /** The container's processes as the host sees them (a rootful engine on this machine): the tree under its main process, and that process's limits. Notes the image. */
  const hostView = async (running: RunningTarget) => {
    const port = new URL(running.url).port;
    const listed = await engine.docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL_TARGET}=node`] }) });
    for (const c of listed) {
      const info = await engine.docker.getContainer(c.Id).inspect();
      if (!info.Config.Env.includes(`PORT=${port}`)) continue;
      const pid = info.State.Pid;
      image = info.Image;
      return { tree: processTree(pid).filter((p) => p.state !== 'Z'), limits: parseNofile(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'))! };
    }
    throw new Error(`no container of target node on port ${port}`);
  };

  it('reports the limit the engine gave its processes, read inside the container', { timeout: 600_000 }, async () => {
    const running = await start();
    const found = (await running.openFilesLimit!())!;
    const host = await hostView(running);
    expect(found).toEqual({ limit: host.limits.soft, processes: 3, source: 'read inside the container from /proc/*/limits of its 3 processes' });
    expect(host.tree).toHaveLength(3);
    defaultLimit = found.limit;
    console.log(`container without openFiles: ${found.limit} open files (this process may open ${inheritedHere()})`);
    await running.stop();
  });

  it('reports exactly the limit it was started with', { timeout: 600_000 }, async () => {
    const running = await start(KNOWN);
    const host = await hostView(running);
    expect(defaultLimit).not.toBe(KNOWN); // else this test could not tell the option from no option
    expect(await running.openFilesLimit!()).toEqual({ limit: KNOWN, processes: 3, source: 'read inside the container from /proc/*/limits of its 3 processes' });
    // Soft and hard, as the kernel shows the container's main process from the host.
    expect(host.limits).toEqual({ soft: KNOWN, hard: KNOWN });
    await running.stop();
  });

  it('says null, and why in the debug log, when the image cannot run the read', { timeout: 120_000 }, async () => {
    if (!image) await hostView(await start()); // run alone: the node image, as the tests above start it
    // A PATH where neither sh nor cat is found: an exec looks its command up in the container's PATH.
    const container = await engine.docker.createContainer({
      Image: image,
      Entrypoint: ['/usr/local/bin/node'],
      Cmd: ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"],
      Env: ['PATH=/nowhere'],
      Labels: labels('container', { [LABEL_TARGET]: 'open-files-test' }),
      HostConfig: { NetworkMode: 'host' },
    });
    try {
      await container.start();
      const logged: string[] = [];
      expect(await containerOpenFilesLimit(engine.docker, container, (line) => logged.push(line))).toBeNull();
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/^open-files limit of container \w+ not read: `sh` exited with 127 \(.*not found.*\).*; `cat` exited with 127 /);
      console.log(logged[0]);
    } finally {
      await container.remove({ force: true });
    }
  });
});
