// Charts: the claims' forest plot and each scenario's charts (from its result kind) are vega-lite
// specs built from results.json alone; they are rendered headless to SVG (vega's renderer 'none', no canvas) and to PNG (resvg, no native canvas
// build). A chart with nothing to draw says why instead.
import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { kindOf } from '../results/scenario-kinds.ts';
import type { ChartSpec, RunResults } from '../types.ts';
import { claimsForestChart } from './claims-chart.ts';
import { byScenario, evaluateClaims } from './sections.ts';
import { orderChartTargets } from './target-order.ts';

export interface ScenarioChart extends ChartSpec {
  /** null for the claims' chart, which spans every scenario. */
  scenario: string | null;
}

/**
 * Every chart of a run, the claims' first (it opens the report), so that `bench chart` redraws them
 * all. A scenario's chart lists the versions of a target together, in release order (target-order.ts).
 */
export function chartSpecs(results: RunResults): ScenarioChart[] {
  const scenarios = byScenario(results).flatMap(({ scenario, measurements }) => {
    const ok = measurements.filter((m) => m.status === 'ok' && m.result !== undefined);
    return (kindOf({ scenario })?.charts(ok, results) ?? []).map((c) => ({ ...c, ...(c.spec && { spec: orderChartTargets(c.spec, results) }), scenario }));
  });
  return [{ ...claimsForestChart(evaluateClaims(results)), scenario: null }, ...scenarios];
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'].filter((f) => fs.existsSync(f));

/** PNG from SVG. Fonts are given explicitly (not the system's list) so the output is reproducible. */
export function renderPng(svg: string): Buffer {
  return Buffer.from(
    new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: 'DejaVu Sans' } }).render().asPng(),
  );
}
