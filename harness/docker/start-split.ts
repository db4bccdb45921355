// A container's start, split at the moment the engine says it started the container's process
// (State.StartedAt): before it, the engine's own work (create, storage, namespaces, the OCI
// runtime); after it, the application's start up to its first 200. StartedAt is wall-clock time from
// the engine, so it is set against the harness's wall clock at the create call: both read the same
// clock when the engine runs on this host (a Unix socket), which is how the harness runs it.

export interface StartSplit {
  engineMs: number;
  appMs: number;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

/**
 * An engine timestamp (RFC 3339, e.g. Podman's and Docker's "…T21:49:21.123456789Z") in ms since the
 * epoch, keeping the sub-ms digits that Date.parse drops. Null when the time is coarser than 1 ms:
 * Go's RFC3339Nano drops trailing zeros, so fewer than 3 fraction digits from a nanosecond clock
 * happen once in a million starts, and from a coarse clock every time.
 */
export function parseEngineTime(text: string): number | null {
  const m = RFC3339.exec(text.trim());
  if (!m) return null;
  const fraction = m[2] ?? '';
  if (fraction.length < 3) return null;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  return Number.isNaN(whole) ? null : whole + Number(`0.${fraction}`) * 1000;
}

/** Date.now() is whole ms: the create call's time may read up to 1 ms early or late. */
const CLOCK_SLACK_MS = 1;

/**
 * Splits a start of `readyMs` (from the create call, at wall-clock `createdAtMs`, to the first 200)
 * at the engine's StartedAt. Null when the engine's time is unusable: missing, coarse, or outside
 * the start (a clock that is not this host's).
 */
export function splitStart(o: { createdAtMs: number; startedAt: string | undefined; readyMs: number }): StartSplit | null {
  const started = o.startedAt === undefined ? null : parseEngineTime(o.startedAt);
  if (started === null) return null;
  const engineMs = started - o.createdAtMs;
  if (engineMs < -CLOCK_SLACK_MS || engineMs > o.readyMs) return null;
  const clamped = Math.max(0, engineMs);
  return { engineMs: clamped, appMs: o.readyMs - clamped };
}
