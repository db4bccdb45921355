// Readiness: poll until something answers, the process exits, or the timeout passes. A wait strategy
// is kept apart from what it waits for (as testcontainers does): HTTP targets answer GET /health (or
// the path asked for), services bring their own check; both runtimes start a process tree or a
// container and hand it to readyOrStop.
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.ts';

export type Exit = {
  code: number | null;
  signal: string | null;
  /** Set when no exit was seen but the host it ran on stopped answering (a link cut, a dead engine): why, naming the host. */
  lost?: string;
};

/** How it ended, in words: "exit code 1", "signal SIGKILL", or the host that stopped answering. */
export const describeExit = (e: Exit): string => e.lost ?? (e.signal ? `signal ${e.signal}` : `exit code ${e.code}`);

export interface ReadyResult {
  ok: boolean;
  exit?: Exit;
  lastError?: string;
}

/** Polls `check` (true = ready; a throw is remembered as the last error). */
export async function waitUntil(check: () => Promise<boolean>, options: { timeoutMs: number; intervalMs: number; exited?: Promise<Exit> }): Promise<ReadyResult> {
  let exit: Exit | undefined;
  options.exited?.then((e) => (exit = e));
  const deadline = performance.now() + options.timeoutMs;
  let lastError: string | undefined;
  while (performance.now() < deadline) {
    if (exit) return { ok: false, exit, lastError };
    try {
      if (await check()) return { ok: true };
    } catch (error) {
      lastError = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    }
    await sleep(options.intervalMs);
  }
  return { ok: false, exit, lastError };
}

export function waitForHealth(baseUrl: string, options: { timeoutMs: number; intervalMs: number; exited?: Promise<Exit>; path?: string }): Promise<ReadyResult> {
  return waitUntil(async () => {
    const res = await fetch(baseUrl + (options.path ?? '/health'), { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return true;
  }, options);
}

/** How a started target or service is judged ready. */
export interface WaitStrategy {
  timeoutMs: number;
  /** What it waited for, said when time ran out (e.g. "GET /health never answered 200"). */
  waitsFor?: string;
  /** Polls until ready, until `exited` resolves, or until timeoutMs has passed. */
  wait(exited: Promise<Exit>): Promise<ReadyResult>;
}

/** Ready at the first 200 from GET `path` (default /health). */
export function httpOk(baseUrl: string, o: { timeoutMs: number; intervalMs: number; path?: string | undefined }): WaitStrategy {
  const path = o.path ?? '/health';
  return { timeoutMs: o.timeoutMs, waitsFor: `GET ${path} never answered 200`, wait: (exited) => waitForHealth(baseUrl, { ...o, path, exited }) };
}

/** Ready when `check` first says true (a service's own readiness check). */
export function checkTrue(check: () => Promise<boolean>, o: { timeoutMs: number; intervalMs: number }): WaitStrategy {
  return { timeoutMs: o.timeoutMs, wait: (exited) => waitUntil(check, { ...o, exited }) };
}

/** Why a start failed, in words that follow the name of what was started. */
export function notReadyReason(strategy: Pick<WaitStrategy, 'timeoutMs' | 'waitsFor'>, ready: ReadyResult): string {
  // A local spawn error comes as `signal` (there is no exit code), hence "signal/error".
  if (ready.exit) return `exited during start (${ready.exit.signal ? `signal/error ${ready.exit.signal}` : `exit code ${ready.exit.code}`})`;
  const detail = [strategy.waitsFor, ready.lastError && `last error: ${ready.lastError}`].filter(Boolean).join('; ');
  return `was not ready within ${Number((strategy.timeoutMs / 1000).toFixed(1))} s${detail ? ` (${detail})` : ''}`;
}

/** A started process tree or container, as far as waiting for it goes. */
export interface Startable {
  exited: Promise<Exit>;
  /** Stops it and gives its last `n` log lines (read before removal for a container, after the pipes drained for a process). */
  stopWithTail(n: number): Promise<string[]>;
}

/** Waits until `unit` is ready by `strategy`; when it is not, stops it and throws a UserError that names `who`, with its last log lines. */
export async function readyOrStop(unit: Startable, strategy: WaitStrategy, who: string, fix: string, tail = 30): Promise<void> {
  const ready = await strategy.wait(unit.exited);
  if (ready.ok) return;
  throw new UserError(`${who} ${notReadyReason(strategy, ready)}.`, fix, await unit.stopWithTail(tail));
}
