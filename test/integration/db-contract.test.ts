// The database contract checks against a real PostgreSQL (the harness's own service, started
// here) and a fake target whose faults are switched on one at a time: each fault must be
// rejected by its own check, and by nothing else.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { postgresService } from '../../harness/services/postgres.ts';
import type { CheckResult, RunningService } from '../../harness/types.ts';
import { verifyDbEndpoint, verifyFortunesEndpoint, verifyQueriesEndpoint, verifyUpdatesEndpoint, type DbVerifyOptions } from '../../harness/verify/db-contract.ts';
import { verdictOf } from '../../harness/verify/json-contract.ts';
import { startFakeDbTarget, type FakeDbOptions } from '../fixtures/fake-db-target.ts';

let service: RunningService;
let databaseUrl: string;
const fakes: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  service = await new LocalRuntime().startService(postgresService, { cpus: [0], readyTimeoutMs: 60_000, log: () => {} });
  databaseUrl = service.env.DATABASE_URL!;
});
afterAll(async () => {
  await service?.stop();
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(options: FakeDbOptions = {}): Promise<string> {
  const f = await startFakeDbTarget(databaseUrl, options);
  fakes.push(f);
  return f.url;
}

const failing = (checks: CheckResult[]) => checks.filter((c) => c.status === 'fail').map((c) => c.name);
const detail = (checks: CheckResult[], name: string) => checks.find((c) => c.name === name)?.detail ?? '';
type Verify = (url: string, databaseUrl: string, options?: DbVerifyOptions) => Promise<CheckResult[]>;

// First, while no earlier request can flush late counters into their window.
describe('index-scan fallback (where pg_stat_statements is missing)', () => {
  it('rejects /queries read with one ANY query, and says which source counted', async () => {
    const url = await fake({ queriesWithIn: true });
    // 50 random ids lie on at most ~25 leaf pages: fewer index scans than rows, even where PostgreSQL 17+ counts each leaf visit.
    const checks = await verifyQueriesEndpoint(url, databaseUrl, { countSource: 'index-scans', queries: 50 });
    expect(failing(checks)).toEqual(['query-count']);
    expect(detail(checks, 'query-count')).toContain("index scans of world's primary key");
  }, 60_000);

  it('passes a correct /updates and rejects one that never writes', async () => {
    const good = await verifyUpdatesEndpoint(await fake(), databaseUrl, { countSource: 'index-scans' });
    expect(failing(good)).toEqual([]);
    expect(detail(good, 'update-count')).toContain("world's n_tup_upd rose by");
    const bad = await verifyUpdatesEndpoint(await fake({ updatesNoWrite: true }), databaseUrl, { countSource: 'index-scans' });
    expect(failing(bad)).toEqual(['updates-persisted', 'update-count']);
  }, 60_000);
});

describe('a correct target', () => {
  it('passes every check of /db, /queries, /updates and /fortunes', async () => {
    const url = await fake();
    for (const verify of [verifyDbEndpoint, verifyQueriesEndpoint, verifyUpdatesEndpoint, verifyFortunesEndpoint]) {
      const checks = await verify(url, databaseUrl);
      expect(checks.filter((c) => c.status !== 'pass'), verify.name).toEqual([]);
      expect(verdictOf(checks)).toBe('pass');
    }
  });

  it('is checked on everything the contract names', async () => {
    const url = await fake();
    const queries = await verifyQueriesEndpoint(url, databaseUrl);
    expect(queries.map((c) => c.name)).toEqual([
      'status', 'content-type', 'server-header', 'content-length', 'date-header', 'row-shape',
      'count:queries=20', 'count:queries=0', 'count:queries=foo', 'count:queries=', 'count:no-parameter', 'count:queries=501',
      'rows-match-database', 'query-count',
    ]);
    expect(detail(queries, 'query-count')).toBe('60 SELECTs on world returning 60 rows for 3 requests of 20 rows (counted by pg_stat_statements)');
    const updates = await verifyUpdatesEndpoint(url, databaseUrl);
    expect(updates.map((c) => c.name).slice(-4)).toEqual(['updates-persisted', 'updates-changed', 'query-count', 'update-count']);
    expect(detail(updates, 'update-count')).toContain('3 UPDATEs on world updated');
    const db = await verifyDbEndpoint(url, databaseUrl);
    expect(detail(db, 'query-count')).toContain('5 SELECTs on world');
    const fortunes = await verifyFortunesEndpoint(url, databaseUrl);
    expect(fortunes.map((c) => c.name)).toEqual([
      'status', 'content-type', 'server-header', 'content-length', 'date-header',
      'fortunes-utf8', 'fortunes-table', 'fortunes-escaped', 'fortunes-content', 'fortunes-added', 'fortunes-order',
    ]);
  });
});

describe('each broken target is rejected by the right check only', () => {
  it('an unclamped count', async () => {
    const url = await fake({ unclamped: true });
    for (const verify of [verifyQueriesEndpoint, verifyUpdatesEndpoint]) {
      const checks = await verify(url, databaseUrl);
      expect(failing(checks), verify.name).toEqual(['count:queries=0', 'count:queries=501']);
      expect(detail(checks, 'count:queries=501')).toContain('expected 500 rows, got 501');
      expect(detail(checks, 'count:queries=0')).toContain('expected 1 row, got 0');
    }
  });

  it('/queries answered by one IN query', async () => {
    const checks = await verifyQueriesEndpoint(await fake({ queriesWithIn: true }), databaseUrl);
    expect(failing(checks)).toEqual(['query-count']);
    expect(detail(checks, 'query-count')).toContain('ran 1 query per request for 20 rows');
    expect(detail(checks, 'query-count')).toContain('pg_stat_statements');
  });

  it('updates that change nothing in the database', async () => {
    const checks = await verifyUpdatesEndpoint(await fake({ updatesNoWrite: true }), databaseUrl);
    expect(failing(checks)).toEqual(['updates-persisted', 'update-count']);
    expect(detail(checks, 'update-count')).toContain('0 UPDATEs on world updated 0 rows');
  });

  it('updates that write back the numbers they read', async () => {
    const checks = await verifyUpdatesEndpoint(await fake({ updatesUnchanged: true }), databaseUrl);
    expect(failing(checks)).toEqual(['updates-changed']);
    expect(detail(checks, 'updates-changed')).toContain('nothing was changed');
  });

  it('unescaped fortunes', async () => {
    const checks = await verifyFortunesEndpoint(await fake({ unescaped: true }), databaseUrl);
    expect(failing(checks)).toEqual(['fortunes-escaped']);
    expect(detail(checks, 'fortunes-escaped')).toContain('<script>');
  });

  it('a missing added fortune', async () => {
    expect(failing(await verifyFortunesEndpoint(await fake({ noAddedFortune: true }), databaseUrl))).toEqual(['fortunes-added']);
  });

  it('unsorted fortunes', async () => {
    expect(failing(await verifyFortunesEndpoint(await fake({ unsorted: true }), databaseUrl))).toEqual(['fortunes-order']);
  });

  it('a wrong content type', async () => {
    const url = await fake({ wrongContentType: true });
    const verifiers: [Verify, string][] = [
      [verifyDbEndpoint, 'text/plain'],
      [verifyQueriesEndpoint, 'text/plain'],
      [verifyUpdatesEndpoint, 'text/plain'],
      [verifyFortunesEndpoint, 'expected text/html; charset=utf-8, got "text/html"'],
    ];
    for (const [verify, said] of verifiers) {
      const checks = await verify(url, databaseUrl);
      expect(failing(checks), verify.name).toEqual(['content-type']);
      expect(detail(checks, 'content-type')).toContain(said);
    }
  });
});

describe('failures are results, not exceptions', () => {
  it('an unreachable target', async () => {
    const f = await startFakeDbTarget(databaseUrl);
    await f.close();
    for (const verify of [verifyDbEndpoint, verifyQueriesEndpoint, verifyUpdatesEndpoint, verifyFortunesEndpoint]) {
      expect(await verify(f.url, databaseUrl), verify.name).toEqual([expect.objectContaining({ name: 'reachable', status: 'fail' })]);
    }
  });

  it('an unreachable database', async () => {
    const url = await fake();
    const nowhere = 'postgres://bench:secret@127.0.0.1:1/bench';
    for (const verify of [verifyDbEndpoint, verifyFortunesEndpoint]) {
      const checks = await verify(url, nowhere);
      expect(failing(checks), verify.name).toEqual(['database']);
      expect(detail(checks, 'database')).not.toContain('secret');
    }
  });
});
