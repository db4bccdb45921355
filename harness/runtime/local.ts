// The local runtime: targets and services run as processes on this machine, pinned with taskset,
// each in its own process group so that stop() (and the reaper, if the harness dies) can end the
// whole tree. A service's data folder is fresh, and removed at stop (and by the reaper).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import { declaredEnv } from '../targets.ts';
import type { OpenFilesLimit, RunningService, RunningTarget, Runtime, RuntimeCapabilities, ServiceDeclaration, StartOptions, Target, PythonOffer } from '../types.ts';
import { localRequirements } from './local-requirements.ts';
import { LogBuffer } from './log-buffer.ts';
import type { RuntimeModule, RuntimeOptions } from './module.ts';
import { freePort } from './ports.ts';
import { smallestSoftNofile } from './open-files.ts';
import { prepareLocal, resolveExecutable, substitute } from './prepare.ts';
import { PSS_LABEL, processGroupMembers, processTree, sampleTree } from './process-tree.ts';
import { registerDir, registerGroup, unregisterDir, unregisterGroup } from './reaper.ts';
import { checkTrue, httpOk, readyOrStop, type Exit, type Startable } from './readiness.ts';
import { StartedSet } from './started.ts';
import { findPythons, requireTaskset } from './toolchain.ts';

/** The host's Pythons, newest first (a version of a target may need a range of them). */
async function hostPythonOffers(): Promise<PythonOffer[]> {
  const found = (await findPythons()).found;
  // One offer per version: python3 is often python3.11 under another name.
  return found.filter((p, i) => found.findIndex((q) => q.version === p.version) === i).map((p) => ({ version: p.version, from: `the host's ${p.name}` }));
}

const HOST = '127.0.0.1';
const LOG_TAIL = 30;

/** logDir, and openFiles (absent: the harness's own limit, inherited). */
export type LocalRuntimeOptions = Pick<RuntimeOptions, 'logDir' | 'openFiles'>;

/** Processes on this machine: no image, no engine whose share of a start could be told apart; the
 * target's process group is its tree, read from /proc. */
const CAN: RuntimeCapabilities = { unit: 'process', images: false, startupSplit: false, processTree: true };

interface Spawned extends Startable {
  pgid: number;
  logs: LogBuffer;
  /** Idempotent: the whole group, SIGTERM then SIGKILL. */
  stop(): Promise<void>;
}

/** Starts `argv` pinned to `cpus` in a new process group, registered with the reaper. */
async function spawnPinned(name: string, argv: string[], o: { cwd: string; env: NodeJS.ProcessEnv; cpus: number[]; logFile?: string; openFiles?: number }): Promise<Spawned> {
  await requireTaskset();
  const logs = new LogBuffer(500, o.logFile);
  // detached: a new process group led by the child, so one signal reaches all its workers.
  // Open files: the child inherits the harness's RLIMIT_NOFILE, and Node raises its own soft limit
  // to the hard one at start (src/node.cc, PlatformInit), so every target and service starts with
  // soft = hard, Python targets included (Python itself leaves the limit alone); that is what lets a
  // target hold thousands of WebSockets. No prlimit is needed for that, and none can go above the
  // hard limit without CAP_SYS_RESOURCE. test/integration/ws-targets.test.ts checks it on the real
  // targets. openFiles (tests, or a user lowering it) sets soft = hard before the target runs, so
  // Node's raise stops there.
  const child = spawn(...withOpenFiles(o.openFiles, ['taskset', '-c', o.cpus.join(','), ...argv]), { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (child.pid === undefined) throw new UserError(`Could not start ${name}: ${(await spawnError).message}.`, 'Check its start command.');
  const pgid = child.pid;
  registerGroup(pgid);
  logs.attach(child.stdout);
  logs.attach(child.stderr);
  let stopped = false;
  // Only an exit on its own is news (a crash); one that stop() caused never resolves, as in containers.
  const exited = Promise.race([
    new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    spawnError.then((e) => ({ code: null, signal: e.message })),
  ]).then((exit) => (stopped ? new Promise<never>(() => {}) : exit));
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await killGroup(pgid);
    unregisterGroup(pgid);
    logs.close();
  };
  return {
    pgid,
    logs,
    exited,
    stop,
    async stopWithTail(n) {
      await stop();
      await sleep(50); // let the pipes drain so the last lines are in the tail
      return logs.tail(n);
    },
  };
}

/** `argv` run with an open-files limit of `n` (soft = hard): prlimit (util-linux) or the shell's
 * ulimit, both exec the command, so the pid and process group stay the target's. */
function withOpenFiles(n: number | undefined, argv: string[]): [string, string[]] {
  const wrapped = n === undefined ? argv : onPath('prlimit') ? ['prlimit', `--nofile=${n}:${n}`, ...argv] : ['sh', '-c', `ulimit -n ${n} && exec "$@"`, 'sh', ...argv];
  return [wrapped[0]!, wrapped.slice(1)];
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && fs.existsSync(path.join(dir, binary)));
}

/** The smallest soft open-files limit over the live processes of the tree under `rootPid`, from their /proc/<pid>/limits. */
export function treeOpenFilesLimit(rootPid: number): OpenFilesLimit | null {
  const texts: string[] = [];
  for (const p of processTree(rootPid)) {
    if (p.state === 'Z') continue; // a zombie's limits are no longer its own to use
    try {
      texts.push(fs.readFileSync(`/proc/${p.pid}/limits`, 'utf8'));
    } catch {
      // exited meanwhile
    }
  }
  const found = smallestSoftNofile(texts);
  return found && { ...found, source: `/proc/<pid>/limits of the target's ${found.processes} process${found.processes === 1 ? '' : 'es'}` };
}

export class LocalRuntime implements Runtime {
  readonly name = 'local';
  readonly can = CAN;
  private readonly started = new StartedSet();

  constructor(private readonly options: LocalRuntimeOptions = {}) {}

  prepare(target: Target, log: (line: string) => void): Promise<void> {
    return prepareLocal(target, log);
  }

  pythons(): Promise<PythonOffer[]> {
    return hostPythonOffers();
  }

  async versions(target: Target): Promise<Record<string, string>> {
    const [file, ...args] = target.decl.local.versions;
    const result = await execa(resolveExecutable(target.dir, file!), args, { cwd: target.dir, reject: false, stdin: 'ignore' });
    try {
      const parsed = JSON.parse(String(result.stdout)) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      throw new UserError(
        `Could not read the versions of target "${target.decl.name}": \`${target.decl.local.versions.join(' ')}\` printed no JSON object.`,
        'Prepare the target again (delete its .prepared.json) and check its versions command in target.json.',
        String(result.all ?? `${result.stdout}\n${result.stderr}`).split('\n').filter(Boolean).slice(-LOG_TAIL),
      );
    }
  }

  private logFile(name: string): string | undefined {
    return this.options.logDir ? `${this.options.logDir}/${name}.log` : undefined;
  }

  async start(target: Target, options: StartOptions): Promise<RunningTarget> {
    const name = target.decl.name;
    const port = await freePort(HOST);
    const workers = options.cpus.length;
    const values = { host: HOST, port: String(port), workers: String(workers) };
    const [file, ...args] = substitute(target.decl.local.start, values);
    const declared = Object.fromEntries(Object.entries(target.decl.local.env).map(([k, v]) => [k, substitute([v], values)[0]!]));
    const env = { ...process.env, ...options.env, ...declared, ...declaredEnv(target), HOST, PORT: String(port), WORKERS: String(workers) };
    const spawnedAt = performance.now();
    const proc = await spawnPinned(`target "${name}"`, [resolveExecutable(target.dir, file!), ...args], {
      cwd: target.dir,
      env,
      cpus: options.cpus,
      logFile: this.logFile(name),
      ...(this.options.openFiles !== undefined && { openFiles: this.options.openFiles }),
    });
    const url = `http://${HOST}:${port}`;
    await readyOrStop(
      proc,
      httpOk(url, { timeoutMs: options.readyTimeoutMs, intervalMs: options.pollIntervalMs ?? 25, path: options.readyPath }),
      `Target "${name}"`,
      `Read its log lines below; try it by hand with \`npm run bench -- serve ${name}\`.`,
      LOG_TAIL,
    );
    const readyMs = performance.now() - spawnedAt;
    return this.started.track<RunningTarget>({
      target,
      url,
      workers,
      cpus: options.cpus,
      readyMs,
      // No engine: the whole start, spawn to the first 200, is the application's.
      startup: { engineMs: null, appMs: readyMs },
      stats: async () => sampleTree(proc.pgid),
      memoryLabel: PSS_LABEL,
      statsIntervalMs: 250,
      logs: async (tail) => proc.logs.tail(tail),
      exited: proc.exited,
      stop: proc.stop,
      openFilesLimit: async () => treeOpenFilesLimit(proc.pgid),
    });
  }

  async startService(service: ServiceDeclaration, o: { cpus: number[]; readyTimeoutMs: number; log: (line: string) => void }): Promise<RunningService> {
    if (!service.local) throw new UserError(`The ${service.name} service cannot run as a local process.`, 'Use --runtime docker.');
    const port = await freePort(HOST);
    // Under the system temp folder: a service that drops privileges (PostgreSQL run as root starts as `postgres`) can use it.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${service.name}-`));
    registerDir(dataDir);
    const removeDir = () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      unregisterDir(dataDir);
    };
    const endpoint = { host: HOST, port };
    let proc: Spawned | undefined;
    try {
      const cmd = await service.local.command({ host: HOST, port, dataDir });
      o.log(`${service.name}: ${cmd.argv.join(' ')}`);
      const startedAt = new Date().toISOString();
      proc = await spawnPinned(`service ${service.name}`, cmd.argv, { cwd: dataDir, env: { ...process.env, ...cmd.env }, cpus: o.cpus, logFile: this.logFile(`service-${service.name}`) });
      await readyOrStop(proc, checkTrue(() => service.ready(endpoint), { timeoutMs: o.readyTimeoutMs, intervalMs: 100 }), `Service ${service.name}`, 'Read its log lines below.', LOG_TAIL);
      await service.init?.(endpoint);
      const version = (await service.serverVersion?.(endpoint)) ?? cmd.version;
      const p = proc;
      return this.started.track<RunningService>({
        service,
        endpoint,
        env: service.env(endpoint),
        info: { name: service.name, mode: 'process', version, cpus: o.cpus, config: service.config, source: cmd.source, startedAt },
        logs: async (tail) => p.logs.tail(tail),
        stats: async () => sampleTree(p.pgid),
        exited: p.exited,
        stop: async () => {
          await p.stop();
          removeDir();
        },
      });
    } catch (error) {
      await proc?.stop();
      removeDir();
      throw error;
    }
  }

  shutdown(): Promise<void> {
    return this.started.stopAll();
  }
}

export const localRuntime: RuntimeModule = {
  name: 'local',
  description: 'processes on this machine',
  can: CAN,
  // Auto's fallback: it needs no engine.
  auto: { rank: 0, available: async () => true },
  requirements: localRequirements,
  pythons: hostPythonOffers,
  async create(options) {
    return { runtime: new LocalRuntime(options), engine: null };
  },
};

/** SIGTERM to the group, then SIGKILL whatever is still there after a grace period. */
export async function killGroup(pgid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is gone
    }
  };
  signal('SIGTERM');
  const deadline = performance.now() + graceMs;
  while (processGroupMembers(pgid).length > 0 && performance.now() < deadline) await sleep(50);
  if (processGroupMembers(pgid).length > 0) signal('SIGKILL');
  while (processGroupMembers(pgid).length > 0 && performance.now() < deadline + 2000) await sleep(50);
}
