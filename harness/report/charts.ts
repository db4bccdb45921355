// Charts as vega-lite specs built from results.json alone, rendered headless to SVG (vega's
// renderer 'none', no canvas) and to PNG (resvg, no native canvas build). A chart whose scenario
// did not run is not drawn: the reports say "not measured" in its place.
import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../types.ts';

export interface ChartSpec {
  name: string;
  title: string;
  /** Which scenario's results it shows. */
  scenario: string;
  spec: TopLevelSpec | null;
}

const WIDTH = 520;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const config = { font: FONT, view: { stroke: null }, axis: { labelFont: FONT, titleFont: FONT }, legend: { labelFont: FONT, titleFont: FONT }, title: { font: FONT } };

function chart(title: string, body: Record<string, unknown>): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width: WIDTH, config, ...body } as TopLevelSpec;
}

export function chartSpecs(results: RunResults): ChartSpec[] {
  const ok = results.measurements.filter((m) => m.status === 'ok');
  const json = ok.filter((m) => m.scenario === 'json' && m.summary.length);
  const throughput = json.flatMap((m) =>
    m.summary.map((s) => ({ target: m.target, connections: s.connections, rps: s.rps.median, lo: s.rps.ci95[0], hi: s.rps.ci95[1], loaderBound: s.loaderBoundTrials > 0 })),
  );
  const latency = json.flatMap((m) => {
    const best = m.summary.reduce((a, b) => (b.rps.median > a.rps.median ? b : a));
    return (['p50', 'p90', 'p99', 'p999'] as const).map((p, order) => ({ target: `${m.target} (${best.connections} conn.)`, percentile: p === 'p999' ? 'p99.9' : p, order, ms: best.latencyMs[p] }));
  });
  const startup = ok.filter((m) => m.startup).flatMap((m) => m.startup!.samplesMs.map((ms, i) => ({ target: m.target, ms, start: i + 1 })));
  const memory = ok
    .filter((m) => m.memory)
    .flatMap((m) => [
      { target: m.target, phase: 'idle', mib: (m.memory!.idleRssBytes ?? 0) / 2 ** 20 },
      { target: m.target, phase: 'peak under load', mib: (m.memory!.peakRssBytes ?? 0) / 2 ** 20 },
    ]);
  const images = ok
    .filter((m) => m.image)
    .flatMap((m) => [
      { target: m.target, part: `base (${m.image!.base.origin})`, mb: m.image!.baseBytes / 1e6 },
      { target: m.target, part: 'app layers', mb: m.image!.appBytes / 1e6 },
    ]);

  return [
    {
      name: 'throughput',
      title: 'JSON throughput vs connections (median req/s, 95% CI)',
      scenario: 'json',
      spec: throughput.length
        ? chart('JSON throughput vs connections', {
            data: { values: throughput },
            layer: [
              { mark: { type: 'line', point: true }, encoding: { x: { field: 'connections', type: 'ordinal', title: 'connections' }, y: { field: 'rps', type: 'quantitative', title: 'req/s (median)', scale: { type: 'log' } }, color: { field: 'target', type: 'nominal' } } },
              { mark: 'rule', encoding: { x: { field: 'connections', type: 'ordinal' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'target', type: 'nominal' } } },
            ],
          })
        : null,
    },
    {
      name: 'latency',
      title: 'Latency percentiles at each target’s best connection level',
      scenario: 'json',
      spec: latency.length
        ? chart('Latency percentiles (ms, log scale)', {
            data: { values: latency },
            // Points, not bars: a bar on a log scale has no zero to start from.
            mark: { type: 'point', filled: true, size: 90 },
            encoding: {
              y: { field: 'target', type: 'nominal', title: null },
              x: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
              color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99', 'p99.9'] },
              shape: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99', 'p99.9'] },
            },
          })
        : null,
    },
    // Drawn once the db and ws scenarios exist; until then the reports say "not measured".
    { name: 'database', title: 'Database throughput', scenario: 'db', spec: null },
    { name: 'websocket', title: 'WebSocket capacity', scenario: 'ws', spec: null },
    {
      name: 'startup',
      title: 'Startup: time to the first 200 from /json',
      scenario: 'startup',
      spec: startup.length
        ? chart('Startup time to the first 200 (ms), every start', {
            data: { values: startup },
            layer: [
              { mark: { type: 'tick', thickness: 2 }, encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { field: 'ms', type: 'quantitative', title: 'ms' }, color: { field: 'target', type: 'nominal', legend: null } } },
              { mark: { type: 'tick', color: 'black', thickness: 3, size: 22 }, encoding: { y: { field: 'target', type: 'nominal' }, x: { aggregate: 'median', field: 'ms', type: 'quantitative' } } },
            ],
          })
        : null,
    },
    {
      name: 'image-size',
      title: 'Image size, base and app layers (MB, uncompressed)',
      scenario: 'image-size',
      spec: images.length
        ? chart('Image size, uncompressed (MB)', {
            data: { values: images },
            mark: 'bar',
            encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { field: 'mb', type: 'quantitative', title: 'MB', stack: 'zero' }, color: { field: 'part', type: 'nominal', title: null }, order: { field: 'part', sort: 'descending' } },
          })
        : null,
    },
    {
      name: 'memory',
      title: 'Memory: idle and peak under the json load (MiB)',
      scenario: 'memory',
      spec: memory.length
        ? chart('Resident memory (MiB)', {
            data: { values: memory },
            mark: 'bar',
            encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { field: 'mib', type: 'quantitative', title: 'MiB' }, yOffset: { field: 'phase' }, color: { field: 'phase', type: 'nominal', title: null } },
          })
        : null,
    },
  ];
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
