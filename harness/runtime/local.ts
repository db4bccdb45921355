// The local runtime: targets run as processes on this machine, pinned with taskset, each in its own
// process group so that stop() (and the reaper, if the harness dies) can end the whole tree.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import type { RunningTarget, Runtime, StartOptions, Target } from '../types.ts';
import { LogBuffer } from './log-buffer.ts';
import { freePort } from './ports.ts';
import { prepareLocal, resolveExecutable, substitute } from './prepare.ts';
import { processGroupMembers, sampleTree } from './process-tree.ts';
import { registerGroup, unregisterGroup } from './reaper.ts';
import { waitForHealth } from './readiness.ts';
import { requireTaskset } from './toolchain.ts';

const HOST = '127.0.0.1';
const LOG_TAIL = 30;

export interface LocalRuntimeOptions {
  /** Directory where each target's full log is written (<dir>/<target>.log). */
  logDir?: string;
}

export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  readonly memorySource = 'process-tree' as const;
  private readonly running = new Set<RunningTarget>();

  constructor(private readonly options: LocalRuntimeOptions = {}) {}

  prepare(target: Target, log: (line: string) => void): Promise<void> {
    return prepareLocal(target, log);
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

  async start(target: Target, options: StartOptions): Promise<RunningTarget> {
    await requireTaskset();
    const name = target.decl.name;
    const port = await freePort(HOST);
    const workers = options.cpus.length;
    const values = { host: HOST, port: String(port), workers: String(workers) };
    const [file, ...args] = substitute(target.decl.local.start, values);
    const logs = new LogBuffer(500, this.options.logDir ? `${this.options.logDir}/${name}.log` : undefined);
    const declared = Object.fromEntries(Object.entries(target.decl.local.env).map(([k, v]) => [k, substitute([v], values)[0]!]));
    const env = { ...process.env, ...declared, HOST, PORT: String(port), WORKERS: String(workers) };
    const spawnedAt = performance.now();
    // detached: a new process group led by the target, so one signal reaches all its workers.
    const child = spawn('taskset', ['-c', options.cpus.join(','), resolveExecutable(target.dir, file!), ...args], {
      cwd: target.dir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    if (pgid === undefined) throw new UserError(`Could not start target "${name}": ${(await spawnError).message}.`, 'Check the start command in its target.json.');
    registerGroup(pgid);
    logs.attach(child.stdout);
    logs.attach(child.stderr);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    let stopped = false;
    let running: RunningTarget | undefined;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await killGroup(pgid);
      unregisterGroup(pgid);
      logs.close();
      if (running) this.running.delete(running);
    };

    const url = `http://${HOST}:${port}`;
    const ready = await waitForHealth(url, {
      timeoutMs: options.readyTimeoutMs,
      intervalMs: options.pollIntervalMs ?? 25,
      path: options.readyPath,
      exited: Promise.race([exited, spawnError.then((e) => ({ code: null, signal: e.message }))]),
    });
    if (!ready.ok) {
      await stop();
      await sleep(50); // let the pipes drain so the last lines are in the tail
      const why = ready.exit
        ? `exited during start (${ready.exit.signal ? `signal/error ${ready.exit.signal}` : `exit code ${ready.exit.code}`})`
        : `was not ready within ${Number((options.readyTimeoutMs / 1000).toFixed(1))} s (GET ${options.readyPath ?? '/health'} never answered 200${ready.lastError ? `; last error: ${ready.lastError}` : ''})`;
      throw new UserError(
        `Target "${name}" ${why}.`,
        `Read its log lines below; try it by hand with \`npm run bench -- serve ${name}\`.`,
        logs.tail(LOG_TAIL),
      );
    }

    running = {
      target,
      url,
      workers,
      cpus: options.cpus,
      readyMs: performance.now() - spawnedAt,
      stats: async () => sampleTree(pgid),
      statsIntervalMs: 250,
      logs: async (tail) => logs.tail(tail),
      exited,
      stop,
    };
    this.running.add(running);
    return running;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.running].map((r) => r.stop()));
  }
}

/** SIGTERM to the group, then SIGKILL whatever is still there after a grace period. */
async function killGroup(pgid: number, graceMs = 5000): Promise<void> {
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
