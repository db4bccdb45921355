import { afterEach, describe, expect, it } from 'vitest';
import { checkDateAdvances, checkJsonResponse, verdictOf, verifyJsonEndpoint } from '../../harness/verify/json-contract.ts';
import { startFakeServer, type FakeOptions } from '../fixtures/fake-json-server.ts';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function verify(options: FakeOptions, gapMs = 1100) {
  const server = await startFakeServer(options);
  servers.push(server);
  return verifyJsonEndpoint(server.url, gapMs);
}

const failing = (checks: { name: string; status: string }[]) => checks.filter((c) => c.status === 'fail').map((c) => c.name);

describe('/json contract against fake servers', () => {
  it('passes a correct server', async () => {
    const checks = await verify({});
    expect(failing(checks)).toEqual([]);
    expect(verdictOf(checks)).toBe('pass');
  });

  it('fails a wrong content type, for that reason only', async () => {
    const checks = await verify({ contentType: 'text/plain' });
    expect(failing(checks)).toEqual(['content-type']);
    expect(checks.find((c) => c.name === 'content-type')?.detail).toContain('text/plain');
  });

  it('accepts a charset on application/json', async () => {
    expect(failing(await verify({ contentType: 'application/json; charset=utf-8' }))).toEqual([]);
  });

  it('fails a missing Date header', async () => {
    const checks = await verify({ date: 'missing' });
    expect(failing(checks)).toEqual(['date-header', 'date-advances']);
    expect(checks.find((c) => c.name === 'date-header')?.detail).toBe('Date header missing');
  });

  it('fails a frozen Date header', async () => {
    const checks = await verify({ date: 'frozen' });
    expect(failing(checks)).toEqual(['date-advances']);
    expect(checks.find((c) => c.name === 'date-advances')?.detail).toContain('frozen');
    // An hour-old Date is also flagged as not current.
    expect(checks.find((c) => c.name === 'date-header')?.status).toBe('warn');
  });

  it('fails a wrong body', async () => {
    const checks = await verify({ body: JSON.stringify({ message: 'Hello World' }) });
    expect(failing(checks)).toEqual(['body']);
    expect(checks.find((c) => c.name === 'body')?.detail).toContain('"Hello World"');
  });

  it('fails a body that is not an object', async () => {
    expect(failing(await verify({ body: '"Hello, World!"' }))).toEqual(['body']);
  });

  it('fails a missing Server header', async () => {
    expect(failing(await verify({ server: null }))).toEqual(['server-header']);
  });

  it('fails a missing Content-Length (chunked response)', async () => {
    const checks = await verify({ contentLength: 'missing' });
    expect(failing(checks)).toEqual(['content-length']);
    expect(checks.find((c) => c.name === 'content-length')?.detail).toContain('chunked');
  });

  it('fails a non-200 status', async () => {
    expect(failing(await verify({ status: 500 }))).toEqual(['status']);
  });

  it('reports an unreachable server as a failure, not an exception', async () => {
    const server = await startFakeServer({});
    await server.close();
    const checks = await verifyJsonEndpoint(server.url, 10);
    expect(checks).toEqual([expect.objectContaining({ name: 'reachable', status: 'fail' })]);
  });
});

describe('checkJsonResponse on hand-made responses', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const ok = {
    status: 200,
    headers: { 'content-type': 'application/json', server: 'x', date: new Date(now).toUTCString(), 'content-length': '27' },
    body: Buffer.from('{"message":"Hello, World!"}'),
  };

  it('passes a correct response', () => {
    expect(verdictOf(checkJsonResponse(ok, now))).toBe('pass');
  });

  it('fails a Content-Length that does not match the body', () => {
    const checks = checkJsonResponse({ ...ok, headers: { ...ok.headers, 'content-length': '30' } }, now);
    expect(failing(checks)).toEqual(['content-length']);
  });

  it('fails a Date that is not an HTTP date', () => {
    expect(failing(checkJsonResponse({ ...ok, headers: { ...ok.headers, date: 'yesterday' } }, now))).toEqual(['date-header']);
  });

  it('warns on extra keys in the body', () => {
    const body = Buffer.from('{"message":"Hello, World!","x":1}');
    const checks = checkJsonResponse({ ...ok, body, headers: { ...ok.headers, 'content-length': String(body.length) } }, now);
    expect(checks.find((c) => c.name === 'body')?.status).toBe('warn');
  });

  it('date-advances passes when the two Dates differ', () => {
    const later = { ...ok, headers: { ...ok.headers, date: new Date(now + 2000).toUTCString() } };
    expect(checkDateAdvances(ok, later, 1500).status).toBe('pass');
    expect(checkDateAdvances(ok, ok, 1500).status).toBe('fail');
  });
});
