// Contract checks for GET /json, after TechEmpower's rules: status 200, Content-Type
// application/json, body {"message":"Hello, World!"}, and Server, Date, Content-Length headers,
// with a Date that is current and moves on between two reads.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../types.ts';
import { httpGet, type HttpSnapshot } from './http-get.ts';

const EXPECTED_MESSAGE = 'Hello, World!';
/** A Date further than this from our clock is stale (a cached header), not just skew. */
const DATE_SKEW_WARN_MS = 60_000;

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string): CheckResult => ({ name, status: 'warn', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });

/** Checks that need one response only (pure: used by the unit tests on hand-made responses). */
export function checkJsonResponse(res: HttpSnapshot, now = Date.now()): CheckResult[] {
  const checks: CheckResult[] = [];
  checks.push(res.status === 200 ? pass('status', '200') : fail('status', `expected 200, got ${res.status}`));

  const type = String(res.headers['content-type'] ?? '');
  checks.push(
    /^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type)
      ? pass('content-type', type)
      : fail('content-type', type ? `expected application/json, got "${type}"` : 'Content-Type header missing'),
  );

  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    checks.push(fail('body', `expected a JSON object, got ${JSON.stringify(res.body.toString('utf8').slice(0, 80))}`));
  } else if ((body as Record<string, unknown>).message !== EXPECTED_MESSAGE) {
    checks.push(fail('body', `expected message "${EXPECTED_MESSAGE}", got ${JSON.stringify((body as Record<string, unknown>).message)}`));
  } else if (Object.keys(body).length !== 1) {
    checks.push(warn('body', `extra keys besides "message": ${Object.keys(body).filter((k) => k !== 'message').join(', ')}`));
  } else {
    checks.push(pass('body', JSON.stringify(body)));
  }

  checks.push(res.headers.server ? pass('server-header', String(res.headers.server)) : fail('server-header', 'Server header missing'));

  const length = res.headers['content-length'];
  if (length === undefined) checks.push(fail('content-length', `Content-Length header missing${res.headers['transfer-encoding'] ? ' (response is chunked)' : ''}`));
  else if (Number(length) !== res.body.length) checks.push(fail('content-length', `header says ${length}, body has ${res.body.length} bytes`));
  else checks.push(pass('content-length', String(length)));

  const date = res.headers.date;
  const parsed = date ? Date.parse(date) : NaN;
  if (!date) checks.push(fail('date-header', 'Date header missing'));
  else if (Number.isNaN(parsed)) checks.push(fail('date-header', `Date "${date}" is not an HTTP date`));
  else if (Math.abs(parsed - now) > DATE_SKEW_WARN_MS) checks.push(warn('date-header', `Date "${date}" is ${Math.round((parsed - now) / 1000)} s from this machine's clock`));
  else checks.push(pass('date-header', date));
  return checks;
}

/** Two Date headers read at least a second apart must differ, or the server serves a frozen Date. */
export function checkDateAdvances(first: HttpSnapshot, second: HttpSnapshot, gapMs: number): CheckResult {
  const a = first.headers.date;
  const b = second.headers.date;
  if (!a || !b) return fail('date-advances', 'Date header missing, cannot tell whether it is current');
  if (a === b) return fail('date-advances', `Date stayed "${a}" across ${(gapMs / 1000).toFixed(1)} s: it is frozen, not current`);
  return pass('date-advances', `"${a}" then "${b}"`);
}

export async function verifyJsonEndpoint(baseUrl: string, gapMs = 1500): Promise<CheckResult[]> {
  let first: HttpSnapshot;
  try {
    first = await httpGet(`${baseUrl}/json`);
  } catch (error) {
    return [fail('reachable', `GET /json failed: ${(error as Error).message}`)];
  }
  const checks = checkJsonResponse(first);
  await sleep(gapMs);
  try {
    const second = await httpGet(`${baseUrl}/json`);
    checks.push(checkDateAdvances(first, second, gapMs));
  } catch (error) {
    checks.push(fail('date-advances', `second GET /json failed: ${(error as Error).message}`));
  }
  return checks;
}

/** The /json contract as a scenario's verify step. */
export function verifyJson(running: { url: string }): Promise<CheckResult[]> {
  return verifyJsonEndpoint(running.url);
}

export function verdictOf(checks: CheckResult[]): 'pass' | 'warn' | 'fail' {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  return checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}
