// The rule of `bench load` for a load that got nothing back (harness/load/no-response.ts): zero
// responses is a failure named by the most frequent error kind, or by the timeouts; any response
// at all is a result, errors or not.
import { describe, expect, it } from 'vitest';
import { describeErrorKind, noResponse } from '../../harness/load/no-response.ts';
import type { HttpLoadResult } from '../../harness/types.ts';

const URL = 'http://127.0.0.1:1/json';
const result = (o: Partial<HttpLoadResult>): HttpLoadResult => ({
  durationS: 10,
  requests: 0,
  rps: 0,
  latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, mean: 0, max: 0 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  loaderCpuPct: null,
  ...o,
});

describe('noResponse', () => {
  it('names the most frequent error kind of a load without responses', () => {
    const e = noResponse(URL, result({ errors: 3264 + 3 }), { ECONNREFUSED: 3264, ECONNRESET: 3 });
    expect(e?.message).toBe(`No response from ${URL}: the connection was refused (ECONNREFUSED: 3,264 of 3,267 errors, 0 timeouts; also 3 × ECONNRESET).`);
    expect(e?.fix).toMatch(/curl -i http:\/\/127\.0\.0\.1:1\/json/);
  });

  it('names the timeouts when they outnumber the errors', () => {
    expect(noResponse(URL, result({ errors: 2, timeouts: 40 }), { 'connect timeout': 2 })?.message).toBe(`No response from ${URL}: every request timed out (2 errors, 40 timeouts).`);
    expect(noResponse(URL, result({ errors: 50, timeouts: 4 }), { 'connect timeout': 50 })?.message).toMatch(/: the connection timed out \(connect timeout: 50 of 50 errors, 4 timeouts\)\.$/);
  });

  it('fails a load without responses even when nothing was counted as an error', () => {
    expect(noResponse(URL, result({}), {})?.message).toBe(`No response from ${URL}: no request was answered within the load's 10.0 s.`);
    expect(noResponse(URL, result({ errors: 5 }), {})?.message).toBe(`No response from ${URL}: 5 errors, 0 timeouts.`);
  });

  it('is no failure once any response came back, whatever the errors', () => {
    expect(noResponse(URL, result({ requests: 1, errors: 3000 }), { ECONNREFUSED: 3000 })).toBeNull();
    expect(noResponse(URL, result({ requests: 10, non2xx: 10 }), {})).toBeNull();
  });

  it('says what common kinds mean, and leaves others as they are', () => {
    expect(describeErrorKind('ECONNRESET')).toBe('the connection was reset by the server');
    expect(describeErrorKind('malformed response (bad status line)')).toMatch(/did not answer in HTTP\/1\.1/);
    expect(describeErrorKind('EWHATEVER')).toBe('EWHATEVER');
  });
});
