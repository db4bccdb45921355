// Workers as containers on an engine (this machine's or another host's): each one a container of
// the kit image (harness/hosts/kit-image.ts) on the host's network, pinned with cpuset, its
// open-files limit as a ulimit. Its pipes go through one hijacked attach opened before the start
// (so not a byte of the ready line is lost), demuxed into stdout and stderr; its stdin closes when
// the attach does (StdinOnce), so a worker whose harness is gone ends as a local one does. It is
// registered with the reaper and removed once it has ended or is killed.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { createOptions } from '../../docker/container.ts';
import type { Engine } from '../../docker/engine.ts';
import { kitPath } from '../../hosts/kit-image.ts';
import { registerContainer, unregisterContainer } from '../../runtime/reaper.ts';
import type { ProgramRuntime, WorkerProcess, WorkerSpawner, WorkerSpec } from './spawner.ts';

export interface ContainerSpawnerOptions {
  engine: Engine;
  /** The kit image, present on that engine. */
  image: string;
  /** What runs a program in that image (kitRuntime). */
  runtime: ProgramRuntime;
  /** The host as its engine address, for errors: "ssh://root@10.0.0.3". */
  hostName: string;
  /** The containers' bench.target label (default 'loader'). */
  label?: string;
  /** Merged into each container's HostConfig: the reader's privileges and namespaces. */
  hostConfig?: Docker.HostConfig;
}

/** The open-files limit a local `wrap` sets (harness/load/ws/limits.ts writes prlimit or a shell
 * ulimit): a container gets it as a ulimit. Null for no wrap; throws for one it cannot translate. */
export function openFilesOfWrap(wrap: string[]): { soft: number; hard: number } | null {
  if (wrap.length === 0) return null;
  const prlimit = wrap.length === 2 && wrap[0] === 'prlimit' ? /^--nofile=(\d+):(\d+)$/.exec(wrap[1]!) : null;
  if (prlimit) return { soft: Number(prlimit[1]), hard: Number(prlimit[2]) };
  const ulimit = wrap.length === 4 && wrap[0] === 'sh' && wrap[1] === '-c' ? /^ulimit -n (\d+) && exec "\$@"$/.exec(wrap[2]!) : null;
  if (ulimit) return { soft: Number(ulimit[1]), hard: Number(ulimit[1]) };
  throw new Error(`the wrapper \`${wrap.join(' ')}\` cannot run in a container (only an open-files limit can be given)`);
}

/** The engine's create options for one worker: createOptions' labels and host network, plus attached, once-open stdin. */
export function workerCreateOptions(o: ContainerSpawnerOptions, spec: WorkerSpec): Docker.ContainerCreateOptions {
  const files = openFilesOfWrap(spec.wrap);
  const base = createOptions({
    image: o.image,
    label: o.label ?? 'loader',
    entrypoint: o.runtime.command,
    cmd: [kitPath(spec.script), spec.config],
    env: { UV_THREADPOOL_SIZE: '1' },
    cpus: [spec.cpu],
    ...(files && { ulimits: [{ Name: 'nofile', Soft: files.soft, Hard: files.hard }] }),
  });
  return {
    ...base,
    Tty: false,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { ...base.HostConfig, ...o.hostConfig },
  };
}

/**
 * A hijacked attach to all three streams, as `docker attach` opens it: dockerode's would send its
 * parameters as a JSON body as well (which Podman's attach hands to the container's stdin, ahead of
 * the first command) or, without one, would hold the request's headers back until stdin is first
 * written. An empty body (Content-Length: 0) sends the request at once and puts nothing on stdin.
 */
function attach(engine: Engine, container: Docker.Container): Promise<NodeJS.ReadWriteStream> {
  return new Promise((resolve, reject) =>
    engine.docker.modem.dial(
      {
        path: `/containers/${container.id}/attach?`,
        method: 'POST',
        options: { stream: true, stdin: true, stdout: true, stderr: true },
        file: Buffer.alloc(0),
        hijack: true,
        openStdin: true,
        isStream: true,
        statusCodes: { 101: true, 200: true, 404: 'no such container', 500: 'server error' },
      },
      (error, stream) => (error ? reject(error) : resolve(stream as NodeJS.ReadWriteStream)),
    ),
  );
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

export function containerSpawner(o: ContainerSpawnerOptions): WorkerSpawner {
  const { engine, hostName } = o;
  return {
    runtime: o.runtime,
    where: (cpu) => `CPU ${cpu} of host ${hostName}`,
    fix: ({ cpu }) =>
      `Check that the engine at ${engine.socket} runs \`${o.image}\` (it must have been shipped there) with cpuset ${cpu} (a CPU of that host), e.g. \`docker -H ${engine.socket} run --rm --cpuset-cpus ${cpu} ${o.image} --version\`.`,
    spawn: (spec) => spawnContainer(o, spec),
  };
}

function spawnContainer(o: ContainerSpawnerOptions, spec: WorkerSpec): WorkerProcess {
  const { engine, hostName } = o;
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let container: Docker.Container | null = null;
  let killedWith: string | null = null;
  let removal: Promise<void> | null = null;
  const remove = (): Promise<void> => {
    if (!container) return Promise.resolve();
    const c = container;
    removal ??= c.remove({ force: true, v: true }).then(
      () => unregisterContainer(engine.socket, c.id),
      // Gone already (removed by someone else, or the engine lost it): nothing left to reap.
      (error: { statusCode?: number }) => void (error.statusCode === 404 && unregisterContainer(engine.socket, c.id)),
    );
    return removal;
  };

  const run = async (): Promise<string> => {
    let attached: NodeJS.ReadWriteStream;
    try {
      container = await engine.docker.createContainer(workerCreateOptions(o, spec));
      registerContainer(engine.socket, container.id);
      if (killedWith) return `was killed by ${killedWith} before it started`;
      attached = await attach(engine, container);
    } catch (error) {
      return `could not start on ${hostName} (${firstLine(error)})`;
    }
    const closed = new Promise<void>((resolve) => {
      attached.once('end', resolve);
      attached.once('close', resolve);
      attached.once('error', () => resolve());
    });
    engine.docker.modem.demuxStream(attached, stdout, stderr);
    stdin.pipe(attached);
    try {
      await container.start();
    } catch (error) {
      (attached as unknown as { destroy(): void }).destroy();
      return killedWith ? `was killed by ${killedWith} before it started` : `could not start on ${hostName} (${firstLine(error)})`;
    }
    await closed;
    if (killedWith) return `was killed by ${killedWith}`;
    return exitOf(container, hostName);
  };

  const ended = run()
    .catch((error: unknown) => `failed on ${hostName} (${firstLine(error)})`)
    .then(async (how) => {
      stdout.end();
      stderr.end();
      await remove();
      return how;
    });
  return {
    stdin,
    stdout,
    stderr,
    ended,
    kill(signal) {
      killedWith ??= signal;
      if (!container) return; // the create has not answered: it is removed once it does
      if (signal === 'SIGKILL') void remove();
      else container.kill({ signal }).catch(() => void remove());
    },
  };
}

/** How a container whose output has ended ended: its exit code, once the engine reports it stopped. */
async function exitOf(container: Docker.Container, hostName: string): Promise<string> {
  for (let i = 0; i < 20; i++) {
    let state: Docker.ContainerInspectInfo['State'];
    try {
      state = (await container.inspect()).State;
    } catch (error) {
      // Removed by someone else, or the connection to the engine broke (which also ends the attach).
      return `ended, and the engine of ${hostName} no longer answers for it (${firstLine(error)})`;
    }
    if (!state.Running) return `exited with code ${state.ExitCode}${state.OOMKilled ? ' (out of memory)' : ''}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `closed its output but still runs on ${hostName}`;
}
