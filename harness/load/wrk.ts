// wrk as a loader: the reference C load generator (closed loop, one thread per loader CPU), pinned
// with taskset to the loader's CPUs. Its counts and latency come from a Lua done() hook
// (wrk-report.lua) that prints one JSON line; its CPU use is read from /proc over the run, for the
// whole process and for each of its threads.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { requireTaskset } from '../runtime/toolchain.ts';
import type { HttpLoader, HttpLoadRequest, HttpLoadResult } from '../types.ts';
import { NoResponseError } from './no-response.ts';

const SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));
/** Like the autocannon loader's timeout, so that the loaders count timeouts alike (wrk's default is 2 s). */
const TIMEOUT_S = 10;
const SAMPLE_INTERVAL_MS = 200;
const KILL_AFTER_MS = 2000;

/** What wrk-report.lua prints. */
export interface WrkReport {
  duration: number;
  requests: number;
  bytes: number;
  errors: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  non2xx: number;
  latencyUs: { p50: number; p90: number; p99: number; p999: number; mean: number; max: number };
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** wrk's version as it prints it (e.g. "debian/4.1.0-3+b2"), or null when wrk is not installed. */
export function wrkVersion(): string | null {
  const wrk = onPath('wrk');
  if (!wrk) return null;
  // `wrk -v` prints its version and usage and exits 1.
  const probe = spawnSync(wrk, ['-v'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (probe.error) return null;
  return /wrk (\S+)/.exec(`${probe.stdout}\n${probe.stderr}`)?.[1] ?? 'unknown';
}

/** utime+stime in clock ticks from a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line; null for a zombie or garbage. */
export function parseStatTicks(line: string): number | null {
  const close = line.lastIndexOf(')');
  if (close < 0) return null;
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  const f = line.slice(close + 2).split(' ');
  if (f[0] === 'Z' || f[0] === 'X') return null;
  const ticks = Number(f[14 - 3]) + Number(f[15 - 3]);
  return Number.isFinite(ticks) ? ticks : null;
}

function readTicks(file: string): number | null {
  try {
    return parseStatTicks(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export interface CpuReading {
  atMs: number;
  ticks: number;
  /** utime+stime of each thread but the main one (wrk's main thread only sleeps through the run). */
  threads: Map<number, number>;
}

function readCpu(pid: number): CpuReading | null {
  const atMs = performance.now();
  const ticks = readTicks(`/proc/${pid}/stat`);
  if (ticks === null) return null;
  const threads = new Map<number, number>();
  try {
    for (const name of fs.readdirSync(`/proc/${pid}/task`)) {
      const tid = Number(name);
      if (tid === pid) continue;
      const t = readTicks(`/proc/${pid}/task/${name}/stat`);
      if (t !== null) threads.set(tid, t);
    }
  } catch {
    // no per-thread figures where /proc/<pid>/task cannot be read
  }
  return { atMs, ticks, threads };
}

/**
 * CPU use over the run, in percent of one core: the whole process, and each worker thread in the
 * order they were created. Each figure is a rate over the span in which it was seen, so a reading
 * that misses the last moments of the run (the process has exited) loses nothing but precision.
 */
export function cpuUse(readings: CpuReading[], hz = ticksPerSecond()): { totalPct: number | null; perThreadPct: number[] } {
  const pct = (ticks: number, ms: number) => (ms > 0 ? (ticks / hz / (ms / 1000)) * 100 : null);
  const first = readings[0];
  const last = readings.at(-1);
  const totalPct = first && last && last !== first ? pct(last.ticks - first.ticks, last.atMs - first.atMs) : null;
  const seen = new Map<number, { first: { atMs: number; ticks: number }; last: { atMs: number; ticks: number } }>();
  for (const r of readings) {
    for (const [tid, ticks] of r.threads) {
      const s = seen.get(tid);
      if (s) s.last = { atMs: r.atMs, ticks };
      else seen.set(tid, { first: { atMs: r.atMs, ticks }, last: { atMs: r.atMs, ticks } });
    }
  }
  const perThreadPct: number[] = [];
  for (const tid of [...seen.keys()].sort((a, b) => a - b)) {
    const s = seen.get(tid)!;
    const p = pct(s.last.ticks - s.first.ticks, s.last.atMs - s.first.atMs);
    if (p !== null) perThreadPct.push(p);
  }
  return { totalPct, perThreadPct };
}

/** Reads wrk-report.lua's line (the last line of stdout that is a JSON object). */
export function parseWrkReport(stdout: string): WrkReport | null {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (!line) return null;
  try {
    const r = JSON.parse(line) as WrkReport;
    return typeof r.requests === 'number' && typeof r.duration === 'number' && typeof r.latencyUs === 'object' ? r : null;
  } catch {
    return null;
  }
}

/** wrk tells socket errors apart only by where they happened. */
function wrkErrorKinds(r: WrkReport): Record<string, number> {
  const kinds: Record<string, number> = {};
  if (r.connectErrors > 0) kinds['connect error'] = r.connectErrors;
  if (r.readErrors > 0) kinds['read error'] = r.readErrors;
  if (r.writeErrors > 0) kinds['write error'] = r.writeErrors;
  return kinds;
}

export function fromWrkReport(r: WrkReport, cpu: { totalPct: number | null; perThreadPct: number[] }, threads: number): HttpLoadResult {
  const ms = (us: number | null) => (us ?? 0) / 1000;
  const durationS = r.duration;
  const loaderCpuPct = cpu.perThreadPct.length ? Math.max(...cpu.perThreadPct) : cpu.totalPct === null ? null : cpu.totalPct / threads;
  return {
    durationS,
    requests: r.requests,
    // wrk counts statuses above 399 as errors.status; throughput counts the rest.
    rps: durationS > 0 ? Math.max(0, r.requests - r.non2xx) / durationS : 0,
    latencyMs: {
      p50: ms(r.latencyUs.p50),
      p90: ms(r.latencyUs.p90),
      p99: ms(r.latencyUs.p99),
      p999: ms(r.latencyUs.p999),
      mean: ms(r.latencyUs.mean),
      max: ms(r.latencyUs.max),
    },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    loaderCpuPct,
    ...(cpu.perThreadPct.length ? { loaderCpuPerCpu: cpu.perThreadPct } : {}),
    mode: 'closed',
    errorKinds: wrkErrorKinds(r),
  };
}

function interrupted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('interrupted');
}

/** wrk pinned to `loaderCpus` with one thread per CPU; null when wrk is not installed. */
export function createWrkLoader(loaderCpus: number[]): HttpLoader | null {
  const version = wrkVersion();
  if (version === null) return null;
  return {
    name: 'wrk',
    version,
    // wrk 4 runs closed loop only (wrk2's --rate is another program).
    can: { openLoop: false },
    async run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult> {
      if (request.rate !== undefined) {
        throw new UserError(
          `wrk cannot send a fixed request rate (open loop, ${request.rate} req/s asked for): wrk 4 only runs closed loop.`,
          'Use --loader harness for open-loop runs (or drop the rate to run closed loop).',
        );
      }
      if (request.pipelining > 1) {
        throw new UserError(
          `Pipelining (${request.pipelining} requests per connection) is not supported with wrk: it needs a Lua script that builds the pipelined requests, and this loader has none.`,
          'Use --loader harness or --loader autocannon for pipelined runs, or run with pipelining 1.',
        );
      }
      if (signal?.aborted) throw interrupted(signal);
      await requireTaskset();
      const threads = Math.max(1, Math.min(loaderCpus.length, request.connections));
      // wrk takes whole seconds; the duration reported is wrk's own measure of the run.
      const seconds = Math.max(1, Math.ceil(request.durationS));
      const args = ['-c', loaderCpus.join(','), 'wrk', `-t${threads}`, `-c${request.connections}`, `-d${seconds}s`, `--timeout`, `${TIMEOUT_S}s`, '--latency', '-s', SCRIPT, request.url];
      const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const exited = new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('close', (code, sig) => resolve({ code, signal: sig }));
      });
      let done = false;
      void exited.then(() => (done = true));

      const onAbort = () => {
        child.kill('SIGTERM');
        setTimeout(() => {
          if (!done) child.kill('SIGKILL');
        }, KILL_AFTER_MS).unref();
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      const readings: CpuReading[] = [];
      let timer: NodeJS.Timeout | undefined;
      try {
        const pid = child.pid;
        if (pid !== undefined) {
          // taskset execs wrk in the same process: the load starts once the process is wrk.
          const deadline = performance.now() + 2000;
          while (!done && performance.now() < deadline) {
            let comm = '';
            try {
              comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
            } catch {
              break;
            }
            if (comm === 'wrk') break;
            await sleep(1);
          }
          if (!done) {
            const first = readCpu(pid);
            if (first) readings.push(first);
            onStart?.();
            timer = setInterval(() => {
              const r = readCpu(pid);
              if (r) readings.push(r);
            }, SAMPLE_INTERVAL_MS);
          }
        }
        const exit = await exited;
        if (signal?.aborted) throw interrupted(signal);
        const report = parseWrkReport(stdout);
        // wrk gives up at the first connect that fails, with one line and exit code 1.
        const refused = /unable to connect to (\S+) (.+)/.exec(stderr);
        if (!report && refused) throw new NoResponseError(`No response from ${request.url}: wrk could not connect to ${refused[1]}: ${refused[2]!.trim()}.`, `Check that a server answers at ${request.url} (e.g. \`curl -i ${request.url}\`).`);
        if (!report) {
          const how = exit.error ? exit.error.message : exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`;
          throw new UserError(
            `The load generator (wrk) failed against ${request.url} (${how}).`,
            'Check that the URL answers (curl it), that taskset can pin to the loader CPUs, and that wrk runs (wrk -v).',
            `${stderr}\n${stdout}`.split('\n').filter(Boolean).slice(-15),
          );
        }
        return fromWrkReport(report, cpuUse(readings), threads);
      } finally {
        if (timer) clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!done) onAbort();
      }
    },
  };
}
