// Finds a container engine that speaks the Docker API: DOCKER_HOST, then Docker's socket, then
// Podman's (rootful, rootless). Where podman is installed but no API socket answers, starts
// `podman system service` on a socket of our own and stops it when the harness exits.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import { registerDir, registerEngineService, unregisterDir, unregisterEngineService } from '../runtime/reaper.ts';

export interface Engine {
  docker: Docker;
  /** docker | podman */
  name: string;
  version: string;
  apiVersion: string;
  /** unix:///path or tcp://host:port */
  socket: string;
  /** True when the harness started the API service itself. */
  owned: boolean;
}

export interface Candidate {
  socket: string;
  why: string;
}

/** Where to look, in order. Pure: takes the environment, the uid and a file-exists test. */
export function candidateSockets(env: NodeJS.ProcessEnv, uid: number, exists: (p: string) => boolean): Candidate[] {
  const out: Candidate[] = [];
  if (env.DOCKER_HOST) out.push({ socket: env.DOCKER_HOST, why: 'DOCKER_HOST' });
  const unix = (p: string, why: string) => {
    if (exists(p) && !out.some((c) => c.socket === `unix://${p}`)) out.push({ socket: `unix://${p}`, why });
  };
  unix('/var/run/docker.sock', "Docker's socket");
  unix('/run/podman/podman.sock', "Podman's rootful socket");
  if (env.XDG_RUNTIME_DIR) unix(path.join(env.XDG_RUNTIME_DIR, 'podman/podman.sock'), "Podman's rootless socket");
  unix(`/run/user/${uid}/podman/podman.sock`, "Podman's rootless socket");
  return out;
}

export function dockerFor(socket: string): Docker {
  if (socket.startsWith('unix://')) return new Docker({ socketPath: socket.slice('unix://'.length) });
  const url = new URL(socket.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

async function probe(socket: string): Promise<Engine | null> {
  const docker = dockerFor(socket);
  try {
    const version = (await Promise.race([docker.version(), sleep(3000).then(() => null)])) as Docker.DockerVersion | null;
    if (!version) return null;
    const components = (version as unknown as { Components?: { Name: string }[] }).Components ?? [];
    const name = components.some((c) => /podman/i.test(c.Name)) ? 'podman' : 'docker';
    return { docker, name, version: version.Version, apiVersion: version.ApiVersion, socket, owned: false };
  } catch {
    return null;
  }
}

let ownService: ChildProcess | null = null;
/** The folder of the own service's socket: removed with the service, so that no run leaves one in /tmp. */
let ownDir: string | null = null;

function endOwnService(): void {
  if (ownService?.pid) unregisterEngineService(ownService.pid);
  if (ownDir) unregisterDir(ownDir);
  ownService?.kill('SIGTERM');
  ownService = null;
  if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
  ownDir = null;
}

async function startPodmanService(): Promise<Engine | null> {
  const which = await execa('podman', ['--version'], { reject: false });
  if (which.exitCode !== 0) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-podman-'));
  ownDir = dir;
  const socket = `unix://${path.join(dir, 'podman.sock')}`;
  // cwd '/': conmon inherits the service's working directory and fails every container start
  // ("write child: broken pipe") once that directory is deleted, e.g. a removed clone.
  ownService = spawn('podman', ['system', 'service', '--time=0', socket], { stdio: 'ignore', detached: false, cwd: '/' });
  ownService.on('error', () => {});
  // A harness killed outright (SIGKILL) runs no exit handler: the reaper ends the service and removes its folder.
  if (ownService.pid) registerEngineService(ownService.pid);
  registerDir(dir);
  // The service must not keep the harness alive once its work is done (a run would never exit);
  // it is stopped when the harness exits.
  ownService.unref();
  process.once('exit', endOwnService);
  for (let i = 0; i < 50; i++) {
    const engine = await probe(socket);
    if (engine) return { ...engine, owned: true };
    await sleep(200);
  }
  endOwnService();
  return null;
}

let cached: Promise<Engine | null> | null = null;

/** The first engine that answers, or null. Starts a Podman service when only the binary exists. */
export function findEngine(): Promise<Engine | null> {
  cached ??= (async () => {
    for (const c of candidateSockets(process.env, os.userInfo().uid, fs.existsSync)) {
      const engine = await probe(c.socket);
      if (engine) return engine;
    }
    return startPodmanService();
  })();
  return cached;
}

export const ENGINE_FIX =
  'Install Docker, or Podman: on Debian/Ubuntu run `bash docker/setup-podman.sh` (installs podman and runc, writes the containers.conf this kind of host needs, and starts the API service); or set DOCKER_HOST to an engine that answers.';

export async function requireEngine(): Promise<Engine> {
  const engine = await findEngine();
  if (!engine) {
    const tried = candidateSockets(process.env, os.userInfo().uid, () => true).map((c) => c.socket);
    throw new UserError(`No container engine answered (tried ${tried.join(', ')}, and podman system service).`, ENGINE_FIX);
  }
  return engine;
}

/** Stops the Podman API service the harness started, if any. */
export function stopOwnService(): void {
  endOwnService();
}

export interface ExecResult {
  /** Null when the engine did not say. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd` in a running container through the engine's exec API, so that it reads the
 * container's own view (its pid namespace) and works with a remote engine too. A command the image
 * lacks comes back as exit code 126/127 with the engine's message on stderr (Docker and Podman
 * alike), or as a thrown error. Throws if it outlasts `timeoutMs`.
 */
export async function execIn(docker: Docker, container: Docker.Container, cmd: string[], timeoutMs = 10_000): Promise<ExecResult> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  // Sinks that keep each chunk as it is written (synchronously), so nothing is pending at the end.
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        into.push(chunk);
        done();
      },
    });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  docker.modem.demuxStream(stream, sink(out), sink(err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', reject);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`\`${cmd.join(' ')}\` in the container did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
  const exitCode = (await exec.inspect().catch(() => null))?.ExitCode ?? null;
  return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
