// A reference WebSocket echo server that is not one of the targets: a minimal echo on plain
// node:net (reference-echo-server.ts), pinned to its own CPUs, so that a run can measure the
// WebSocket loader's own floor (its round trips against a server that costs next to nothing) beside
// the targets, as harness/tools/reference-server.ts does with nginx for the HTTP loaders.
//
// It runs with the loader's runtime (Bun or Node through tsx, harness/load/loader-runtime.ts) as
// its own process group, registered with the reaper, so that nothing survives a killed harness; it
// also exits by itself when its stdin (a pipe from the harness) ends.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.ts';
import { killGroup } from '../../runtime/local.ts';
import { registerGroup, unregisterGroup } from '../../runtime/reaper.ts';
import { requireTaskset } from '../../runtime/toolchain.ts';
import { resolveLoaderRuntime, type LoaderRuntime } from '../loader-runtime.ts';

/** The server's program (run as `<runtime.command...> REFERENCE_ECHO_SERVER_PATH`). */
export const REFERENCE_ECHO_SERVER_PATH = fileURLToPath(new URL('./reference-echo-server.ts', import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 2000;
const OUTPUT_LINES = 20;

export interface ReferenceEcho {
  /** ws://127.0.0.1:<port>/ws/echo */
  url: string;
  /** The server's process; it leads its own process group. */
  pid: number;
  /** What it is, for a report: e.g. "reference WebSocket echo (node:net on bun 1.4.5, CPU 1)". */
  describe: string;
  /** Idempotent: SIGTERM to the group, SIGKILL after a grace period; resolves once the process is reaped. */
  stop(): Promise<void>;
}

export interface ReferenceEchoOptions {
  /** CPUs it is pinned to (taskset); one is enough, its work per message is small. */
  cpus: number[];
  /** What runs it; default resolveLoaderRuntime(), the loader's own. */
  runtime?: LoaderRuntime;
}

/** Starts the reference echo server pinned to `cpus`; resolves once it listens. */
export async function startReferenceEcho(o: ReferenceEchoOptions): Promise<ReferenceEcho> {
  if (o.cpus.length === 0 || o.cpus.some((c) => !Number.isInteger(c) || c < 0)) throw new UserError(`The reference WebSocket echo needs CPUs to run on, got ${JSON.stringify(o.cpus)}.`);
  await requireTaskset();
  const runtime = o.runtime ?? (await resolveLoaderRuntime());
  const [exe, ...prefix] = runtime.command as [string, ...string[]];
  const cpus = o.cpus.join(',');
  const argv = ['taskset', '-c', cpus, exe, ...prefix, REFERENCE_ECHO_SERVER_PATH];
  // The shell raises the open-files limit to the hard limit (many clients), then is replaced by
  // taskset, which is replaced by the runtime: the group leader's pid is the server's.
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...argv], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // a server that died: its exit says why
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...String(chunk).split('\n').filter(Boolean));
    if (output.length > OUTPUT_LINES) output.splice(0, output.length - OUTPUT_LINES);
  };
  child.stderr.on('data', keep);
  let exit = null as string | null;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e) => {
      exit ??= `could not start (${e.message})`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exit ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
  });

  const pgid = child.pid;
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (pgid !== undefined) {
        await killGroup(pgid, STOP_GRACE_MS);
        unregisterGroup(pgid);
        await exited;
      }
      child.stdin.destroy();
      child.stdout.destroy();
      child.stderr.destroy();
    })());
  if (pgid === undefined) {
    await exited;
    await stop();
    throw new UserError(`Could not start the reference WebSocket echo: ${exit ?? 'no pid'}.`, `Check that \`${runtime.command.join(' ')}\` runs.`);
  }
  registerGroup(pgid);

  const port = await new Promise<number | null>((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(null), READY_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      const m = /^listening (\d+)$/m.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      } else if (text.length > 4096) text = text.slice(-4096);
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  const where = `CPU${o.cpus.length > 1 ? 's' : ''} ${cpus}`;
  if (port === null) {
    const why = exit ?? `did not listen within ${READY_TIMEOUT_MS / 1000} s`;
    await stop();
    throw new UserError(
      `The reference WebSocket echo (${runtime.name} ${runtime.version}, ${where}) ${why}.`,
      `Try it by hand: taskset -c ${cpus} ${runtime.command.join(' ')} ${REFERENCE_ECHO_SERVER_PATH}`,
      output.slice(-OUTPUT_LINES),
    );
  }
  return {
    url: `ws://127.0.0.1:${port}/ws/echo`,
    pid: pgid,
    describe: `reference WebSocket echo (node:net on ${runtime.name} ${runtime.version}, ${where})`,
    stop,
  };
}
