import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { describe, expect, it } from 'vitest';
import { chartSpecs } from '../../harness/report/charts.ts';
import { renderHtmlAndCharts } from '../../harness/report/html.ts';
import { fakeLifecycle, fakeResults } from '../fixtures/results.ts';

const results = () => {
  const r = fakeResults();
  r.measurements.push(...fakeLifecycle('node', [70, 75, 80], 40, 80e6, 75e6), ...fakeLifecycle('django', [170, 180, 190], 50, 300e6, 120e6));
  return r;
};

describe('charts and the HTML report', () => {
  it("draws the claims' forest plot, then each measured scenario's charts, from its result kind", () => {
    const specs = chartSpecs(results());
    expect(specs.map((s) => [s.scenario, s.name, s.spec !== null])).toEqual([
      [null, 'claims-forest', true],
      ['json', 'json-throughput', true],
      ['json', 'json-latency', true],
      ['startup', 'startup', true],
      ['memory', 'memory', true],
      ['image-size', 'image-size', true],
    ]);
  });

  it('says why a chart is empty when every target of its scenario failed', () => {
    const r = results();
    for (const m of r.measurements.filter((x) => x.scenario === 'startup')) Object.assign(m, { status: 'failed', error: 'boom', result: undefined });
    expect(chartSpecs(r).find((s) => s.name === 'startup')).toMatchObject({ spec: null, missing: 'no valid measurement of the `startup` scenario in this run' });
  });

  it('writes a self-contained page: claims at a glance and in detail, inline SVG charts, "not measured" where due', async () => {
    const files = await renderHtmlAndCharts(results());
    const html = String(files.find((f) => f.path === 'report.html')!.content);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    // A row per claim in the glance and again in the detail.
    expect((html.match(/<tr data-claim=/g) ?? []).length).toBe(2 * evaluateClaims(results()).length);
    expect((html.match(/<figure class="chart"/g) ?? []).length).toBe(6);
    expect((html.match(/<svg/g) ?? []).length).toBe(6);
    // The glance (table and forest plot) comes first; the long table is one click below.
    const at = (text: string) => html.indexOf(text);
    expect(at('<table id="glance">')).toBeGreaterThan(0);
    expect(at('<table id="glance">')).toBeLessThan(at('data-chart="claims-forest"'));
    expect(at('data-chart="claims-forest"')).toBeLessThan(at('<details class="claims-detail"><summary>The claims in detail</summary>'));
    expect(at('<details class="claims-detail">')).toBeLessThan(at('<table id="claims">'));
    expect(at('<table id="claims">')).toBeLessThan(at('<section data-scenario='));
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['charts/claims-forest.svg', 'charts/claims-forest.png']));
    expect(html).toMatch(/<td class="supported">supported<\/td>/);
    expect(html).toContain('(75.0%)'); // intervals carry their level in the HTML too
    expect(html).toContain('not measured: the <code>db</code> scenario did not run');
    expect(files.map((f) => f.path)).toContain('charts/startup.png');
    const png = files.find((f) => f.path === 'charts/startup.png')!.content as Uint8Array;
    expect(Buffer.from(png.subarray(1, 4)).toString()).toBe('PNG');
  });

  it('gives byte-identical files from the same results', async () => {
    const a = await renderHtmlAndCharts(results());
    const b = await renderHtmlAndCharts(results());
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
    for (let i = 0; i < a.length; i++) expect(Buffer.compare(Buffer.from(a[i]!.content), Buffer.from(b[i]!.content)), a[i]!.path).toBe(0);
  });
});
