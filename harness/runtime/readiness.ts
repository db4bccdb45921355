// Readiness: poll until something answers, the process exits, or the timeout passes. HTTP targets
// answer GET /health (or the path asked for); services bring their own check.
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadyResult {
  ok: boolean;
  exit?: { code: number | null; signal: string | null };
  lastError?: string;
}

type Exit = { code: number | null; signal: string | null };

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
