// The article's claims about releases, on hand-built results of a run with versions as targets:
// Node.js 25 over 24 (26 beside), Django 5.2's ASGI closing the gap on JSON (6.0 and 6.1 beside),
// Django 6.0's async ORM on /db (6.1 beside), and the article's own table (Node.js 24 and Deno 2.6
// against Django 6.0). Each is checked both ways: figures that support it and figures that refute it.
import { describe, expect, it } from 'vitest';
import { evaluateClaims, type ClaimVerdict } from '../../harness/claims/evaluate.ts';
import { claimsResting } from '../../harness/claims/open.ts';
import { claimsForestChart } from '../../harness/report/claims-chart.ts';
import { renderSvg } from '../../harness/report/charts.ts';
import { bandText, glanceTable } from '../../harness/report/sections.ts';
import { CLAIMS } from '../../scenarios/claims.ts';
import { fakeLifecycle, fakeResults } from '../fixtures/results.ts';
import { versionedInfo, versionedRun } from '../fixtures/versioned-results.ts';
import type { RunResults } from '../../harness/types.ts';

const NAMES = ['node@24', 'node@25', 'node@26', 'django@4.2', 'django@5.2', 'django@6.0', 'django@6.1', 'deno@2.6'];
const RELEASE_IDS = ['node25-over-node24', 'django52-closes-gap-json', 'django60-async-orm-db', 'article-table-json'];

/** A run of every version: json at `json` req/s per target, db at `db`. */
function releases(json: Record<string, number>, db: Record<string, number>): RunResults {
  const infos = NAMES.map((n) => versionedInfo(n, { isDefault: n === 'node@24' || n === 'django@6.1', ...(n === 'node@24' && { aliases: ['node'] }), ...(n === 'django@6.1' && { aliases: ['django'] }), versions: n.startsWith('django') ? { django: `${n.slice(7)}.1`, python: '3.13.5' } : {} }));
  const run = versionedRun(infos, json, 'json');
  return versionedRun([], db, 'db', run);
}

const by = (verdicts: ClaimVerdict[]) => Object.fromEntries(verdicts.map((v) => [v.claim.id, v]));

// What the article says: 25 faster than 24 by >= 5% (26 not), 5.2 and 6.0 close the gap by a fifth (6.1
// not), 6.0 stronger on /db by >= 10% (6.1 not), Node 24 ~1.35x Django 6.0 (Deno 2.6 1.76x: outside).
const AS_SAID = {
  json: { 'node@24': 1000, 'node@25': 1100, 'node@26': 1020, 'django@4.2': 500, 'django@5.2': 700, 'django@6.0': 740, 'django@6.1': 560, 'deno@2.6': 1300 },
  db: { 'django@5.2': 300, 'django@6.0': 360, 'django@6.1': 310 },
};
// The other way round: 25 slower, 26 faster; 5.2 no better than 4.2, 6.1 much better; 6.0 slower on /db, 6.1 faster; Node 24 3x Django 6.0, Deno 1.4x.
const OTHERWISE = {
  json: { 'node@24': 1000, 'node@25': 950, 'node@26': 1200, 'django@4.2': 500, 'django@5.2': 510, 'django@6.0': 330, 'django@6.1': 800, 'deno@2.6': 460 },
  db: { 'django@5.2': 300, 'django@6.0': 280, 'django@6.1': 400 },
};

describe('the claims about releases', () => {
  it('are supported where the figures say what the article says', () => {
    const v = by(evaluateClaims(releases(AS_SAID.json, AS_SAID.db)));
    expect(v['node25-over-node24']).toMatchObject({ verdict: 'supported', claim: { band: [1.05, Number.POSITIVE_INFINITY] }, decision: { how: 'decided', pairs: 12 } });
    expect(v['node25-over-node24']!.ratio!.value).toBeCloseTo(1.1, 1);
    expect(v['node25-over-node24']!.reason).toMatch(/^node@25\/node@24 = 1\.1\d \(95\.0% anytime-valid interval .*\) against the article's 1\.05 or more$/);
    expect(v['node25-over-node24:node@26/node@24']).toMatchObject({ verdict: 'refuted', claim: { besideOf: 'node25-over-node24' } });
    // (node/django@4.2) / (node/django@5.2) = django@5.2/django@4.2 = 1.4: the gap shrank by 29%.
    expect(v['django52-closes-gap-json']).toMatchObject({ verdict: 'supported', claim: { numerator: 'django@5.2', denominator: 'django@4.2', band: [1.25, Number.POSITIVE_INFINITY] } });
    expect(v['django52-closes-gap-json:django@6.0/django@4.2']).toMatchObject({ verdict: 'supported' });
    expect(v['django52-closes-gap-json:django@6.1/django@4.2']).toMatchObject({ verdict: 'refuted' }); // 1.12
    expect(v['django60-async-orm-db']).toMatchObject({ verdict: 'supported', claim: { scenario: 'db', band: [1.1, Number.POSITIVE_INFINITY] } }); // 1.2
    expect(v['django60-async-orm-db:django@6.1/django@5.2']).toMatchObject({ verdict: 'refuted' }); // 1.03
    expect(v['article-table-json']).toMatchObject({ verdict: 'supported', claim: { band: [1.23, 1.68] } }); // 1000/740 = 1.35
    // The Python that Django 6.0 ran on is named beside its figure.
    expect(v['article-table-json']!.denominator!.detail).toMatch(/django 6\.0\.1, python 3\.13\.5/);
    expect(v['article-table-json:deno@2.6/django@6.0']).toMatchObject({ verdict: 'refuted' }); // 1.76
  });

  it('are refuted where the figures say otherwise', () => {
    const v = by(evaluateClaims(releases(OTHERWISE.json, OTHERWISE.db)));
    expect(v['node25-over-node24']).toMatchObject({ verdict: 'refuted' }); // 0.95
    expect(v['node25-over-node24:node@26/node@24']).toMatchObject({ verdict: 'supported' }); // 1.2
    expect(v['django52-closes-gap-json']).toMatchObject({ verdict: 'refuted' }); // 1.02
    expect(v['django52-closes-gap-json:django@6.0/django@4.2']).toMatchObject({ verdict: 'refuted' }); // 0.66
    expect(v['django52-closes-gap-json:django@6.1/django@4.2']).toMatchObject({ verdict: 'supported' }); // 1.6
    expect(v['django60-async-orm-db']).toMatchObject({ verdict: 'refuted' }); // 0.93
    expect(v['django60-async-orm-db:django@6.1/django@5.2']).toMatchObject({ verdict: 'supported' }); // 1.33
    expect(v['article-table-json']).toMatchObject({ verdict: 'refuted' }); // 3.03
    expect(v['article-table-json:deno@2.6/django@6.0']).toMatchObject({ verdict: 'supported' }); // 1.39
  });

  it('judge the gap on Django alone: node cancels pair by pair, whatever its figures', () => {
    const gap = (run: RunResults) => by(evaluateClaims(run))['django52-closes-gap-json']!.ratio!;
    expect(gap(releases({ ...AS_SAID.json, 'node@24': 5000 }, AS_SAID.db))).toEqual(gap(releases(AS_SAID.json, AS_SAID.db)));
  });

  it('stay "not measured" in a run without those versions, and leave the other claims\' verdicts alone', () => {
    const run = fakeResults();
    run.measurements.push(...fakeLifecycle('node', [75, 76, 74, 75, 77, 73, 75, 76, 74, 75, 76, 74], 40, 80e6, 75e6), ...fakeLifecycle('django', [180, 181, 179, 180, 182, 178, 180, 181, 179, 180, 181, 179], 50, 300e6, 120e6));
    const all = evaluateClaims(run);
    const v = by(all);
    for (const id of RELEASE_IDS) expect(v[id]!, id).toMatchObject({ verdict: 'inconclusive', decision: { how: 'not-measured' } });
    expect(v['node25-over-node24']!.reason).toBe('not measured: node@25 was not in this run (`--targets node@25` adds it); node@24 was not in this run (`--targets node@24` adds it)');
    expect(v['django60-async-orm-db']!.reason).toBe('not measured: the `db` scenario did not run');
    // No beside entry of theirs shows.
    expect(all.filter((x) => RELEASE_IDS.includes(x.claim.besideOf ?? ''))).toEqual([]);
    // The existing claims judge exactly as without the release claims.
    const without = evaluateClaims(run, CLAIMS.filter((c) => !RELEASE_IDS.includes(c.id)));
    expect(all.filter((x) => !RELEASE_IDS.includes(x.claim.id))).toEqual(without);
  });

  it('rest on a scenario only when their targets are in the run', () => {
    expect(claimsResting('json', ['node', 'django']).map((c) => c.id)).toEqual(['json-throughput', 'django-matches-node-json']);
    expect(claimsResting('json', ['node@24', 'node@25']).map((c) => c.id)).toEqual(['node25-over-node24']);
    expect(claimsResting('json', ['django@4.2', 'django@6.1']).map((c) => c.id)).toEqual(['django52-closes-gap-json:django@6.1/django@4.2']);
    expect(claimsResting('db', ['django@5.2', 'django@6.0', 'django@6.1']).map((c) => c.id)).toEqual(['django60-async-orm-db', 'django60-async-orm-db:django@6.1/django@5.2']);
    expect(claimsResting('db', ['django@4.2', 'django@5.2'])).toEqual([]);
  });

  it('show their open bands in the glance and the forest plot (drawn to the chart\'s edge)', async () => {
    const verdicts = evaluateClaims(releases(AS_SAID.json, AS_SAID.db));
    const row = glanceTable(verdicts).rows[verdicts.findIndex((v) => v.claim.id === 'node25-over-node24')]!;
    expect(row.slice(0, 4)).toEqual(["Node.js 25 out-serves 24 on JSON", 'node@25/node@24 1.11', expect.stringMatching(/^1\.\d\d–1\.\d\d \(95\.0%, anytime\)$/), '≥ 1.05']);
    expect(bandText([1.25, Number.POSITIVE_INFINITY])).toBe('≥ 1.25');
    const chart = claimsForestChart(verdicts);
    const rows = (chart.spec as unknown as { data: { values: { key: string; bandHi: number }[] } }).data.values;
    expect(Number.isFinite(rows.find((r) => r.key.startsWith('node25-over-node24|'))!.bandHi)).toBe(true);
    expect(await renderSvg(chart.spec!)).toContain('<svg');
  });

  it('each carry the article\'s words and a band with its reasoning written beside it', () => {
    for (const id of RELEASE_IDS) {
      const c = CLAIMS.find((x) => x.id === id)!;
      expect(c.quote.length, id).toBeGreaterThan(40);
      expect(c.band, id).toBeDefined();
    }
  });
});
