// The reports list and chart the versions of one target together, in release order, revisions
// after; each target's version beside what its server reported; results from before versions render
// as they always did.
import { describe, expect, it } from 'vitest';
import { chartSpecs, renderSvg } from '../../harness/report/charts.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import { byScenario, targetsTable } from '../../harness/report/sections.ts';
import { compareReleases, targetOrder } from '../../harness/report/target-order.ts';
import { kindOf } from '../../harness/results/scenario-kinds.ts';
import { fakeResults } from '../fixtures/results.ts';
import { versionedInfo, versionedRun } from '../fixtures/versioned-results.ts';

/** Targets in the order a run might have met them: shuffled, with a bare default, a revision and a target without versions. */
function shuffled() {
  const infos = [
    versionedInfo('node@26'),
    versionedInfo('django', { aliases: ['django@6.1'], versions: { django: '6.1.3', python: '3.13.5' } }),
    versionedInfo('node@main', { revision: '3f2a9c1d5e6b7a8c' }),
    { ...versionedInfo('django-wsgi'), family: 'django-wsgi' },
    versionedInfo('django@4.2'),
    versionedInfo('node@24', { isDefault: true, aliases: ['node'] }),
    versionedInfo('django@6.0'),
    versionedInfo('node@25'),
    versionedInfo('deno@2.6'),
  ];
  infos[1]!.version = { key: '6.1', kind: 'offered', about: 'Django 6.1', isDefault: true };
  const rates = Object.fromEntries(infos.map((t, i) => [t.name, 1000 + 100 * i]));
  return versionedRun(infos, rates);
}

const ORDER = ['deno@2.6', 'django@4.2', 'django@6.0', 'django', 'django-wsgi', 'node@24', 'node@25', 'node@26', 'node@main'];

describe('the order of targets in the reports', () => {
  it('groups the versions of a target, in release order, revisions after', () => {
    expect(targetOrder(shuffled())).toEqual(ORDER);
    for (const [a, b] of [['4.2', '5.2'], ['5.2', '6.0'], ['6.0', '6.1'], ['9', '24'], ['24', '25'], ['25', '26'], ['6.1', '10.0']]) expect(compareReleases(a!, b!), `${a} < ${b}`).toBeLessThan(0);
    expect(compareReleases('6.1', '6.1')).toBe(0);
  });

  it('lists the measurements of each scenario in that order', () => {
    expect(byScenario(shuffled())[0]!.measurements.map((m) => m.target)).toEqual(ORDER);
    const md = renderMarkdown(shuffled());
    const json = md.slice(md.indexOf('## Scenario `json`'));
    const at = (name: string) => json.indexOf(`| ${name} | 64 |`);
    expect(ORDER.map(at).every((x) => x >= 0)).toBe(true);
    expect(ORDER.map(at)).toEqual([...ORDER.map(at)].sort((a, b) => a - b));
  });

  it('shows each target\'s version in the targets table, beside the versions its server reported', () => {
    const t = targetsTable(shuffled());
    expect(t.header).toEqual(['target', 'version', 'framework', 'server', 'kind', 'versions (as the running server reported them)']);
    expect(t.rows.map((r) => r[0])).toEqual(ORDER);
    const row = (name: string) => t.rows.find((r) => r[0] === name)!;
    expect(row('django')[1]).toBe('6.1, the default (Django 6.1); also named django@6.1');
    expect(row('django')[5]).toBe('django 6.1.3, python 3.13.5');
    expect(row('node@24')[1]).toBe('24, the default (node 24); also named node');
    expect(row('node@main')[1]).toBe('revision main (3f2a9c1d5e6b: a revision)');
    expect(row('django-wsgi')[1]).toBe('—');
  });

  it('charts them in that order: an explicit sort where vega would sort alphabetically', async () => {
    const run = shuffled();
    const charts = chartSpecs(run);
    const throughput = charts.find((c) => c.name === 'json-throughput')!.spec as unknown as { layer: { encoding: { color: { sort: string[] } } }[] };
    for (const layer of throughput.layer) expect(layer.encoding.color.sort).toEqual(ORDER);
    // Labels that start with a target's name ("node@24 (64 conn.)") follow it.
    const latency = charts.find((c) => c.name === 'json-latency')!.spec as unknown as { encoding: { y: { sort: string[] }; color: { sort: string[] } } };
    expect(latency.encoding.y.sort).toEqual(ORDER.map((n) => `${n} (64 conn.)`));
    // The scenario's own sorts (percentiles) are left alone.
    expect(latency.encoding.color.sort).toEqual(['p50', 'p90', 'p99', 'p99.9']);
    // And vega draws the legend in that order.
    const svg = await renderSvg(charts.find((c) => c.name === 'json-throughput')!.spec!);
    const positions = ORDER.map((n) => svg.indexOf(`>${n}<`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('leaves results from before versions as they were: their order, their charts, their targets table', () => {
    const old = fakeResults();
    expect(targetOrder(old)).toEqual(['node', 'django', 'broken']);
    expect(byScenario(old)[0]!.measurements).toEqual(old.measurements);
    const json = old.measurements.filter((m) => m.scenario === 'json' && m.status === 'ok');
    expect(chartSpecs(old).filter((c) => c.scenario === 'json').map(({ scenario: _, ...c }) => c)).toEqual(kindOf({ scenario: 'json' })!.charts(json, old));
    expect(targetsTable(old)).toEqual({
      header: ['target', 'framework', 'server', 'kind', 'versions'],
      rows: [
        ['node', 'node:http', 'node:http', 'baseline', 'node 24.9.0'],
        ['django', 'Django', 'uvicorn', 'framework', 'django 5.2.8'],
        ['broken', 'x', 'x', 'framework', 'versions not read'],
      ],
    });
  });
});
