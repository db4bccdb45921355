// Polls GET /health until it answers 200, the process exits, or the timeout passes.
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadyResult {
  ok: boolean;
  exit?: { code: number | null; signal: string | null };
  lastError?: string;
}

export async function waitForHealth(
  baseUrl: string,
  options: { timeoutMs: number; intervalMs: number; exited?: Promise<{ code: number | null; signal: string | null }>; path?: string },
): Promise<ReadyResult> {
  let exit: ReadyResult['exit'];
  options.exited?.then((e) => (exit = e));
  const deadline = performance.now() + options.timeoutMs;
  let lastError: string | undefined;
  while (performance.now() < deadline) {
    if (exit) return { ok: false, exit, lastError };
    try {
      const res = await fetch(baseUrl + (options.path ?? '/health'), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return { ok: true };
      lastError = `HTTP ${res.status}`;
    } catch (error) {
      lastError = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    }
    await sleep(options.intervalMs);
  }
  return { ok: false, exit, lastError };
}
