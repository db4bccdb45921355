// How the pool's workers are started: a spawner turns a worker's description into a running
// program with three pipes, wherever it runs. The local one (the default) is a child process pinned
// with taskset; container-spawner.ts runs each worker as a container on an engine, on this machine
// or another host. The pool speaks the same protocol over the pipes either way.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** What runs a .ts program (see harness/load/loader-runtime.ts). */
export interface ProgramRuntime {
  name: string;
  version: string;
  command: string[];
}

export interface WorkerSpec {
  index: number;
  /** The CPU it is pinned to (of the machine it runs on). */
  cpu: number;
  runtime: ProgramRuntime;
  /** The worker program, a path on this machine. */
  script: string;
  /** argv[2]: its configuration as JSON. */
  config: string;
  /** Put before taskset, e.g. prlimit setting the open-files limit. */
  wrap: string[];
}

export interface WorkerProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Its pid on this machine, where the pool reads its CPU time from /proc; absent when it runs elsewhere (or did not start). */
  pid?: number;
  /** Resolves once it has ended and its output is all read, with how, for errors: "exited with code 1". */
  ended: Promise<string>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface WorkerSpawner {
  /** What runs the workers when the spawner decides it (a container image's Bun); absent: the pool's runtime. */
  readonly runtime?: ProgramRuntime;
  /** Where a worker runs, for errors: "CPU 3", "CPU 3 of host ssh://root@10.0.0.3". */
  where(cpu: number): string;
  /** What to check when a worker did not start or died. */
  fix(spec: WorkerSpec): string;
  spawn(spec: WorkerSpec): WorkerProcess;
}

/** Child processes of the harness, pinned with taskset, under `wrap` when given. */
export const localSpawner: WorkerSpawner = {
  where: (cpu) => `CPU ${cpu}`,
  fix: ({ cpu, wrap, runtime, script }) =>
    `Check that taskset can pin to CPU ${cpu}${wrap.length ? ` and that \`${wrap.join(' ')}\` runs` : ''}, and that \`${runtime.command.join(' ')} ${script}\` runs.`,
  spawn({ cpu, runtime, script, config, wrap }) {
    const [exe, ...prefix] = runtime.command as [string, ...string[]];
    const argv = [...wrap, 'taskset', '-c', String(cpu), exe, ...prefix, script, config];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Pinned to one CPU: Node would otherwise size its thread pool for every core.
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    const ended = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`could not start (${error.message})`));
      child.once('close', (code, sig) => resolve(sig ? `was killed by ${sig}` : `exited with code ${code}`));
    });
    return {
      stdin: child.stdin!,
      stdout: child.stdout!,
      stderr: child.stderr!,
      ...(child.pid !== undefined && { pid: child.pid }),
      ended,
      kill: (signal) => void child.kill(signal),
    };
  },
};
