import { describe, expect, it } from 'vitest';
import {
  checkCommonHeaders,
  checkHtmlContentType,
  checkRowCount,
  checkRowShape,
  checkRowsMatch,
  checkUpdatesChanged,
  checkUpdatesPersisted,
  CLAMP_CASES,
  expectedQueriesCount,
  mergeChecks,
  parseWorldBody,
  worldRowProblems,
} from '../../harness/verify/db-contract.ts';
import { classifyWorldStatement, judgeReads, judgeWrites, tallyStatements, type WorldCounts } from '../../harness/verify/db-stats.ts';
import { ADDED_FORTUNE, checkFortunesBody, compareCodePoints, decodeHtmlEntities, parseFortunesTable, type FortuneRow } from '../../harness/verify/fortunes-html.ts';
import type { HttpSnapshot } from '../../harness/verify/http-get.ts';

const failing = (checks: { name: string; status: string }[]) => checks.filter((c) => c.status === 'fail').map((c) => c.name);
const byName = (checks: { name: string; status: string; detail: string }[], name: string) => checks.find((c) => c.name === name);

describe('clamping of queries=N', () => {
  it('expects TechEmpower\'s counts', () => {
    expect(expectedQueriesCount('20')).toBe(20);
    expect(expectedQueriesCount('0')).toBe(1);
    expect(expectedQueriesCount('-3')).toBe(1);
    expect(expectedQueriesCount('foo')).toBe(1);
    expect(expectedQueriesCount('2.5')).toBe(1);
    expect(expectedQueriesCount('')).toBe(1);
    expect(expectedQueriesCount(null)).toBe(1);
    expect(expectedQueriesCount('500')).toBe(500);
    expect(expectedQueriesCount('501')).toBe(500);
    expect(CLAMP_CASES.map((c) => expectedQueriesCount(c.raw))).toEqual([1, 1, 1, 1, 500]);
  });

  it('count checks fail a count that was not clamped', () => {
    const rows = (n: number) => parseWorldBody(Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i + 1, randomNumber: 1 })))), 'array');
    expect(checkRowCount('count:queries=501', '501', rows(500)).status).toBe('pass');
    const over = checkRowCount('count:queries=501', '501', rows(501));
    expect(over.status).toBe('fail');
    expect(over.detail).toContain('expected 500 rows, got 501');
    expect(checkRowCount('count:queries=0', '0', rows(0)).status).toBe('fail');
    expect(checkRowCount('count:queries=0', '0', rows(1)).status).toBe('pass');
    expect(checkRowCount('count:no-parameter', null, parseWorldBody(Buffer.from('{"id":1,"randomNumber":1}'), 'array')).detail).toContain('expected an array');
    expect(checkRowCount('count:queries=foo', 'foo', new Error('socket hang up')).status).toBe('fail');
  });
});

describe('World rows', () => {
  it('accepts {id, randomNumber} with integers in 1..10000', () => {
    expect(worldRowProblems({ id: 1, randomNumber: 10000 })).toEqual([]);
  });

  it('names what is wrong with a row', () => {
    expect(worldRowProblems({ id: 0, randomNumber: 5 })).toEqual(['id 0 is not an integer in 1..10000']);
    expect(worldRowProblems({ id: 10001, randomNumber: 5 })).toEqual(['id 10001 is not an integer in 1..10000']);
    expect(worldRowProblems({ id: '7', randomNumber: 5 })).toEqual(['id "7" is not an integer in 1..10000']);
    expect(worldRowProblems({ id: 7, randomNumber: 1.5 })).toEqual(['randomNumber 1.5 is not an integer in 1..10000']);
    expect(worldRowProblems({ id: 7, randomnumber: 5 })).toEqual(['key "randomnumber" instead of "randomNumber"']);
    expect(worldRowProblems({ id: 7 })).toEqual(['no "randomNumber"']);
    expect(worldRowProblems([1, 2])[0]).toContain('expected an object');
  });

  it('/db wants one object, /queries an array', () => {
    expect(parseWorldBody(Buffer.from('[{"id":1,"randomNumber":2}]'), 'object').problems).toEqual(['expected one object, got an array of 1']);
    expect(parseWorldBody(Buffer.from('{"id":1,"randomNumber":2}'), 'array').count).toBeNull();
    expect(parseWorldBody(Buffer.from('<html>'), 'object').problems[0]).toContain('not JSON');
    expect(parseWorldBody(Buffer.from('{"id":1,"randomNumber":2}'), 'object')).toEqual({ rows: [{ id: 1, randomNumber: 2 }], count: 1, problems: [], extraKeys: [] });
  });

  it('row-shape fails a bad row anywhere, warns on extra keys', () => {
    const good = { label: 'GET /queries?queries=2', body: parseWorldBody(Buffer.from('[{"id":1,"randomNumber":2},{"id":3,"randomNumber":4}]'), 'array') };
    const bad = { label: 'GET /queries?queries=501', body: parseWorldBody(Buffer.from('[{"id":1,"randomNumber":2},{"id":30000,"randomNumber":4}]'), 'array') };
    expect(checkRowShape([good]).status).toBe('pass');
    const check = checkRowShape([good, bad]);
    expect(check.status).toBe('fail');
    expect(check.detail).toBe('GET /queries?queries=501: row 1: id 30000 is not an integer in 1..10000');
    const extra = { label: 'GET /db', body: parseWorldBody(Buffer.from('{"id":1,"randomNumber":2,"at":"now"}'), 'object') };
    expect(checkRowShape([extra])).toMatchObject({ status: 'warn', detail: 'extra keys besides id and randomNumber: at' });
  });

  it('rows-match-database compares with what the database holds', () => {
    const world = new Map([[1, 10], [2, 20]]);
    expect(checkRowsMatch([{ id: 1, randomNumber: 10 }, { id: 2, randomNumber: 20 }], world).status).toBe('pass');
    const wrong = checkRowsMatch([{ id: 1, randomNumber: 10 }, { id: 2, randomNumber: 21 }], world);
    expect(wrong.status).toBe('fail');
    expect(wrong.detail).toContain('id 2 answered randomNumber 21, the database holds 20');
  });
});

describe('updates reach the database', () => {
  const before = new Map([[1, 10], [2, 20], [3, 30]]);

  it('updates-persisted: the last answer for each id is in the database; a repeated id may keep either value', () => {
    const responses = [[{ id: 1, randomNumber: 11 }, { id: 2, randomNumber: 21 }], [{ id: 2, randomNumber: 22 }, { id: 3, randomNumber: 31 }, { id: 3, randomNumber: 32 }]];
    expect(checkUpdatesPersisted(responses, new Map([[1, 11], [2, 22], [3, 31]])).status).toBe('pass');
    expect(checkUpdatesPersisted(responses, new Map([[1, 11], [2, 22], [3, 32]])).status).toBe('pass');
    const stale = checkUpdatesPersisted(responses, new Map([[1, 11], [2, 21], [3, 32]]));
    expect(stale.status).toBe('fail');
    expect(stale.detail).toContain('id 2 was answered with randomNumber 22, the database holds 21');
  });

  it('updates-changed fails when every answered number is the old one', () => {
    expect(checkUpdatesChanged([[{ id: 1, randomNumber: 10 }, { id: 2, randomNumber: 20 }]], before)).toMatchObject({ status: 'fail' });
    // One row keeping its number by chance is fine.
    expect(checkUpdatesChanged([[{ id: 1, randomNumber: 10 }, { id: 2, randomNumber: 25 }]], before).status).toBe('pass');
    // A later request reads what an earlier one wrote: only first answers are compared.
    expect(checkUpdatesChanged([[{ id: 1, randomNumber: 15 }], [{ id: 1, randomNumber: 10 }]], before).status).toBe('pass');
  });
});

describe('headers and content types', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const body = Buffer.from('{"id":1,"randomNumber":2}');
  const res = (headers: Record<string, string>, status = 200): HttpSnapshot => ({
    status,
    headers: { server: 'x', date: new Date(now).toUTCString(), 'content-length': String(body.length), 'content-type': 'application/json', ...headers },
    body,
  });

  it('reuses the /json contract\'s header checks, without its body check', () => {
    const checks = checkCommonHeaders(res({}), 'application/json', now);
    expect(checks.map((c) => c.name)).toEqual(['status', 'content-type', 'server-header', 'content-length', 'date-header']);
    expect(failing(checks)).toEqual([]);
    expect(checkCommonHeaders(res({}), 'other', now).map((c) => c.name)).toEqual(['status', 'server-header', 'content-length', 'date-header']);
  });

  it('fails a wrong JSON content type, a wrong length, a missing Server, a non-200 status', () => {
    expect(failing(checkCommonHeaders(res({ 'content-type': 'text/plain' }), 'application/json', now))).toEqual(['content-type']);
    expect(failing(checkCommonHeaders(res({ 'content-length': '3' }), 'application/json', now))).toEqual(['content-length']);
    expect(failing(checkCommonHeaders(res({ server: '' }), 'application/json', now))).toEqual(['server-header']);
    expect(failing(checkCommonHeaders(res({}, 500), 'application/json', now))).toEqual(['status']);
  });

  it('/fortunes wants text/html with charset=utf-8, in any case', () => {
    expect(checkHtmlContentType(res({ 'content-type': 'text/html; charset=utf-8' })).status).toBe('pass');
    expect(checkHtmlContentType(res({ 'content-type': 'Text/HTML;Charset=UTF-8' })).status).toBe('pass');
    expect(checkHtmlContentType(res({ 'content-type': 'text/html' })).detail).toBe('expected text/html; charset=utf-8, got "text/html"');
    expect(checkHtmlContentType(res({ 'content-type': 'text/html; charset=iso-8859-1' })).status).toBe('fail');
    expect(checkHtmlContentType(res({ 'content-type': 'application/json' })).status).toBe('fail');
  });

  it('mergeChecks keeps the worst result and says which request it came from', () => {
    const merged = mergeChecks([
      { label: 'GET /db', checks: [{ name: 'status', status: 'pass', detail: '200' }, { name: 'date-header', status: 'pass', detail: 'd' }] },
      { label: 'GET /queries?queries=501', checks: [{ name: 'status', status: 'fail', detail: 'expected 200, got 500' }, { name: 'date-header', status: 'warn', detail: 'old' }] },
    ]);
    expect(merged).toEqual([
      { name: 'status', status: 'fail', detail: 'GET /queries?queries=501: expected 200, got 500' },
      { name: 'date-header', status: 'warn', detail: 'GET /queries?queries=501: old' },
    ]);
  });
});

// The Fortune table as docker/postgres/init.sql seeds it.
const FORTUNES: FortuneRow[] = [
  { id: 1, message: 'fortune: No such file or directory' },
  { id: 2, message: "A computer scientist is someone who fixes things that aren't broken." },
  { id: 3, message: 'After enough decimal places, nobody gives a damn.' },
  { id: 4, message: 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1' },
  { id: 5, message: 'A computer program does what you tell it to do, not what you want it to do.' },
  { id: 6, message: 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen' },
  { id: 7, message: 'Any program that runs right is obsolete.' },
  { id: 8, message: 'A list is only as strong as its weakest link. — Donald Knuth' },
  { id: 9, message: 'Feature: A bug with seniority.' },
  { id: 10, message: 'Computers make very fast, very accurate mistakes.' },
  { id: 11, message: '<script>alert("This should not be displayed in a browser alert box.");</script>' },
  { id: 12, message: 'フレームワークのベンチマーク' },
];

interface RenderOptions {
  rows?: FortuneRow[];
  escape?: (s: string) => string;
  added?: boolean;
  sorted?: boolean;
  compact?: boolean;
}

const escapeWith = (quote: string) => (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, quote);

function renderFortunes(o: RenderOptions = {}): Buffer {
  const rows = [...(o.rows ?? FORTUNES), ...(o.added === false ? [] : [ADDED_FORTUNE])];
  if (o.sorted !== false) rows.sort((a, b) => compareCodePoints(a.message, b.message));
  const escape = o.escape ?? escapeWith('&quot;');
  const nl = o.compact ? '' : '\n  ';
  const trs = rows.map((r) => `<tr>${nl}<td>${r.id}</td>${nl}<td>${escape(r.message)}</td>${nl}</tr>`).join(nl);
  return Buffer.from(`<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>${nl}<tr><th>id</th><th>message</th></tr>${nl}${trs}${nl}</table></body></html>`);
}

describe('fortunes table', () => {
  it('decodes entities in all their forms', () => {
    expect(decodeHtmlEntities('&quot;&#34;&#x22;&#X22;&lt;&amp;lt;&apos;&#39;&bogus; & x')).toBe('""""<&lt;\'\'&bogus; & x');
  });

  it('passes a correct table, whatever the quote form and the whitespace between tags', () => {
    for (const quote of ['&quot;', '&#34;', '&#x22;', '"']) {
      for (const compact of [true, false]) {
        const checks = checkFortunesBody(renderFortunes({ escape: escapeWith(quote), compact }), FORTUNES);
        expect(failing(checks), `${quote} compact=${compact}`).toEqual([]);
        expect(checks.map((c) => c.name)).toEqual(['fortunes-utf8', 'fortunes-table', 'fortunes-escaped', 'fortunes-content', 'fortunes-added', 'fortunes-order']);
      }
    }
  });

  it('parses the rows in order, skipping the header, tolerating an omitted </tr>', () => {
    const parsed = parseFortunesTable('<table><tr><th>id</th><th>message</th><tr> <td>1</td> <td>a &amp; b</td> <tr><td>2</td><td>c</td></tr></table>');
    expect(parsed.rows).toEqual([
      { idText: '1', rawMessage: 'a &amp; b', message: 'a & b' },
      { idText: '2', rawMessage: 'c', message: 'c' },
    ]);
  });

  it('fails raw markup in a message as fortunes-escaped only', () => {
    const checks = checkFortunesBody(renderFortunes({ escape: (s) => s }), FORTUNES);
    expect(failing(checks)).toEqual(['fortunes-escaped']);
    expect(byName(checks, 'fortunes-escaped')?.detail).toContain('id 11 is not HTML-escaped: "<script>');
  });

  it('fails a missing added fortune as fortunes-added only', () => {
    const checks = checkFortunesBody(renderFortunes({ added: false }), FORTUNES);
    expect(failing(checks)).toEqual(['fortunes-added']);
  });

  it('fails an added fortune with another message', () => {
    const rows = [...FORTUNES, { id: 0, message: 'Additional fortune added at request time' }];
    const checks = checkFortunesBody(renderFortunes({ rows, added: false }), FORTUNES);
    expect(failing(checks)).toEqual(['fortunes-added']);
  });

  it('fails an unsorted table as fortunes-order only', () => {
    const checks = checkFortunesBody(renderFortunes({ sorted: false }), FORTUNES);
    expect(failing(checks)).toEqual(['fortunes-order']);
    expect(byName(checks, 'fortunes-order')?.detail).toContain('not sorted by message');
  });

  it('sorts by code point: the Japanese row comes last, after "fortune: ..."', () => {
    expect(compareCodePoints('fortune: No such file', 'フレームワーク')).toBeLessThan(0);
    expect(compareCodePoints('A list', 'A computer')).toBeGreaterThan(0);
  });

  it('fails a missing row, a changed message and an unknown id as fortunes-content', () => {
    const missing = checkFortunesBody(renderFortunes({ rows: FORTUNES.filter((f) => f.id !== 7) }), FORTUNES);
    expect(failing(missing)).toEqual(['fortunes-content']);
    expect(byName(missing, 'fortunes-content')?.detail).toContain('missing id 7');
    const changed = checkFortunesBody(renderFortunes({ rows: FORTUNES.map((f) => (f.id === 3 ? { ...f, message: 'After enough decimal places, nobody cares.' } : f)) }), FORTUNES);
    expect(failing(changed)).toEqual(['fortunes-content']);
    expect(byName(changed, 'fortunes-content')?.detail).toContain('id 3 reads');
    const extra = checkFortunesBody(renderFortunes({ rows: [...FORTUNES, { id: 13, message: 'zzz' }] }), FORTUNES);
    expect(byName(extra, 'fortunes-content')?.detail).toContain('id 13 is not in the database');
  });

  it('fails a Japanese row that was mangled on the way (double-encoded)', () => {
    const mangled = FORTUNES.map((f) => (f.id === 12 ? { ...f, message: Buffer.from(f.message, 'utf8').toString('latin1') } : f));
    const checks = checkFortunesBody(renderFortunes({ rows: mangled }), FORTUNES);
    expect(failing(checks)).toContain('fortunes-content');
    expect(byName(checks, 'fortunes-content')?.detail).toContain('id 12 reads');
  });

  it('accepts the Japanese row written as numeric entities', () => {
    const escape = (s: string) => escapeWith('&quot;')(s).replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`);
    expect(failing(checkFortunesBody(renderFortunes({ escape }), FORTUNES))).toEqual([]);
  });

  it('fails a body that is not UTF-8', () => {
    const latin1 = Buffer.from(renderFortunes().toString('utf8'), 'latin1');
    expect(failing(checkFortunesBody(latin1, FORTUNES))).toContain('fortunes-utf8');
  });

  it('fails a body without a table, or with rows of the wrong shape', () => {
    expect(failing(checkFortunesBody(Buffer.from('<html><body>no fortunes</body></html>'), FORTUNES))).toEqual(['fortunes-table', 'fortunes-content', 'fortunes-added']);
    const threeCells = Buffer.from(renderFortunes().toString('utf8').replace('<td>7</td>', '<td>7</td><td>x</td>'));
    const checks = checkFortunesBody(threeCells, FORTUNES);
    expect(failing(checks)).toEqual(['fortunes-table', 'fortunes-content']);
    expect(byName(checks, 'fortunes-table')?.detail).toContain('3 cells instead of 2');
    const badId = Buffer.from(renderFortunes().toString('utf8').replace('<td>7</td>', '<td>seven</td>'));
    expect(byName(checkFortunesBody(badId, FORTUNES), 'fortunes-table')?.detail).toContain('"seven" is not an integer');
  });
});

describe('counting queries from pg_stat_statements', () => {
  it('tells reads from writes on world, by the statement text', () => {
    expect(classifyWorldStatement('SELECT "world"."id", "world"."randomnumber" FROM "world" WHERE "world"."id" = $1 LIMIT $2')).toBe('read');
    expect(classifyWorldStatement('select id, randomnumber from world where id = $1')).toBe('read');
    expect(classifyWorldStatement('SELECT id FROM public.world WHERE id = ANY($1)')).toBe('read');
    expect(classifyWorldStatement('SELECT id, randomnumber FROM World WHERE id = $1 FOR UPDATE')).toBe('read');
    expect(classifyWorldStatement('/* controller=updates */ UPDATE "world" SET "randomnumber" = CASE WHEN ("world"."id" = $1) THEN $2 END WHERE "world"."id" IN ($3)')).toBe('write');
    expect(classifyWorldStatement('update world set randomnumber = v.r from (select unnest($1::int[]) id, unnest($2::int[]) r) v where world.id = v.id')).toBe('write');
    expect(classifyWorldStatement('WITH v(id, r) AS (VALUES ($1, $2)) UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id')).toBe('write');
    expect(classifyWorldStatement('SELECT id, message FROM fortune')).toBeNull();
    expect(classifyWorldStatement('SELECT * FROM world_archive')).toBeNull();
    expect(classifyWorldStatement('SELECT pg_stat_statements_reset()')).toBeNull();
    expect(classifyWorldStatement('DELETE FROM world WHERE id = $1')).toBe('other');
  });

  const counts = (stats: { query: string; calls: number; rows: number }[]): WorldCounts => ({ source: 'pg_stat_statements', fallbackReason: '', ...tallyStatements(stats) });
  const perRow = 'SELECT id, randomnumber FROM world WHERE id = $1';
  const inList = 'SELECT id, randomnumber FROM world WHERE id = ANY($1)';

  it('query-count passes one query per row', () => {
    const check = judgeReads(counts([{ query: perRow, calls: 60, rows: 60 }, { query: 'SELECT 1', calls: 3, rows: 3 }]), 3, 20);
    expect(check).toMatchObject({ name: 'query-count', status: 'pass' });
    expect(check.detail).toContain('pg_stat_statements');
  });

  it('query-count fails one IN/ANY query for N rows, saying so', () => {
    const check = judgeReads(counts([{ query: inList, calls: 3, rows: 60 }]), 3, 20);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('ran 1 query per request for 20 rows');
    expect(check.detail).toContain('no IN/ANY');
  });

  it('query-count fails a /db that never reached the database, warns on far too many queries', () => {
    expect(judgeReads(counts([]), 5, 1).detail).toContain('ran 0 queries per request for 1 row');
    expect(judgeReads(counts([{ query: perRow, calls: 10, rows: 10 }]), 5, 1).status).toBe('warn');
  });

  it('update-count passes one batched UPDATE of N rows and fails no writes', () => {
    const batched = counts([{ query: perRow, calls: 60, rows: 60 }, { query: 'UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id', calls: 3, rows: 60 }]);
    expect(judgeWrites(batched, 3, 20)).toMatchObject({ name: 'update-count', status: 'pass' });
    expect(judgeWrites(batched, 3, 20).detail).toContain('3 UPDATEs on world updated 60 rows');
    // Repeated random ids written once: within 5%.
    expect(judgeWrites(counts([{ query: 'UPDATE world SET randomnumber = $1 WHERE id = $2', calls: 58, rows: 58 }]), 3, 20).status).toBe('pass');
    const none = judgeWrites(counts([{ query: perRow, calls: 60, rows: 60 }]), 3, 20);
    expect(none.status).toBe('fail');
    expect(none.detail).toContain('0 UPDATEs on world updated 0 rows');
  });

  it('says when the index-scan fallback counted, and why', () => {
    const fallback: WorldCounts = { source: 'index-scans', fallbackReason: 'pg_stat_statements is not installed in this database', reads: 200, readRows: null, writes: null, rowsWritten: 60, readStatements: [] };
    const reads = judgeReads(fallback, 3, 20);
    expect(reads.status).toBe('pass'); // no upper bound: the updates' own scans add up
    expect(reads.detail).toContain("index scans of world's primary key");
    expect(reads.detail).toContain('pg_stat_statements is not installed');
    expect(judgeWrites(fallback, 3, 20).detail).toContain("world's n_tup_upd rose by 60 rows");
    expect(judgeReads({ ...fallback, reads: 30 }, 3, 20).status).toBe('fail');
  });
});
