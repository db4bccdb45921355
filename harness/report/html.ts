// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched at view
// time) with the claims table, each scenario's section with its charts, and the machine. Plus the
// charts as SVG and PNG files.
import type { ReportFile, RunResults, Table } from '../types.ts';
import { chartSpecs, renderPng, renderSvg } from './charts.ts';
import {
  claimsTable,
  claimTraces,
  environmentRows,
  evaluateClaims,
  headerLine,
  migrationNote,
  partsNote,
  scenarioReports,
  servicesTable,
  statusText,
  targetsTable,
} from './sections.ts';

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The little Markdown the sections use: `code` and **bold**. */
const inline = (text: string): string => esc(text).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');

const CSS = `body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.supported{color:#1a7f37;font-weight:bold}.refuted{color:#c62828;font-weight:bold}.inconclusive{color:#8a6d00;font-weight:bold}
figure{margin:1.5rem 0;padding:1rem;border:1px solid #e3e3e3;border-radius:6px}figcaption{font-weight:bold;margin-bottom:.5rem}
.not-measured{color:#666;font-style:italic}.warn{color:#8a6d00}`;

interface TableOptions {
  attrs?: string;
  rowAttrs?: (row: number) => string;
  cellClass?: (row: number, col: number) => string | undefined;
}

function htmlTable(t: Table, o: TableOptions = {}): string {
  const head = `<thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const td = (c: string, i: number, j: number) => {
    const cls = o.cellClass?.(i, j);
    return `<td${cls ? ` class="${cls}"` : ''}>${inline(c)}</td>`;
  };
  const body = t.rows.map((r, i) => `<tr${o.rowAttrs ? ` ${o.rowAttrs(i)}` : ''}>${r.map((c, j) => td(c, i, j)).join('')}</tr>`).join('\n');
  return `${t.caption ? `<p>${inline(t.caption)}</p>` : ''}<table${o.attrs ?? ''}>${head}<tbody>\n${body}\n</tbody></table>`;
}

export async function renderHtmlAndCharts(results: RunResults): Promise<ReportFile[]> {
  const files: ReportFile[] = [];
  const figuresBy = new Map<string, string[]>();
  for (const c of chartSpecs(results)) {
    const list = figuresBy.get(c.scenario) ?? [];
    figuresBy.set(c.scenario, list);
    if (!c.spec) {
      list.push(`<figure class="chart" data-chart="${c.name}"><figcaption>${esc(c.title)}</figcaption><p class="not-measured">${inline(c.missing ?? 'nothing to draw')}</p></figure>`);
      continue;
    }
    const svg = await renderSvg(c.spec);
    files.push({ path: `charts/${c.name}.svg`, content: svg }, { path: `charts/${c.name}.png`, content: renderPng(svg) });
    list.push(`<figure class="chart" data-chart="${c.name}"><figcaption>${esc(c.title)}</figcaption>${svg}</figure>`);
  }
  const verdicts = evaluateClaims(results);
  const claims = claimsTable(verdicts);
  const env = results.environment;
  const sections = scenarioReports(results).map((r) =>
    [
      `<section data-scenario="${esc(r.scenario)}"><h2>Scenario <code>${esc(r.scenario)}</code></h2>`,
      ...r.section.paragraphs.map((p) => `<p>${inline(p)}</p>`),
      ...(figuresBy.get(r.scenario) ?? []),
      ...r.section.tables.map((t) => htmlTable(t)),
      ...(r.notMeasured.length ? [`<p>Not measured or not valid:</p><ul>${r.notMeasured.map((m) => `<li><strong>${esc(m.target)}</strong>: ${inline(statusText(m))}</li>`).join('')}</ul>`] : []),
      ...(r.section.warnings.length ? [`<p>Warnings:</p><ul class="warn">${r.section.warnings.map((w) => `<li>${inline(w)}</li>`).join('')}</ul>`] : []),
      '</section>',
    ].join('\n'),
  );
  const services = servicesTable(results);
  const note = migrationNote(results);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Django vs Node.js: benchmark report ${esc(results.runId)}</title><style>${CSS}</style></head>
<body>
<h1>Django vs Node.js: benchmark report ${esc(results.runId)}</h1>
<p>${inline(headerLine(results))} Every figure comes from <code>results.json</code> beside this file; <code>report.md</code> has the same tables. Absolute figures belong to this machine (${esc(env.cpuModel)}, ${env.cores} cores); the claims are judged on ratios measured in this run, and these verdicts come from one run: <code>npm run bench -- claims &lt;run&gt; &lt;run&gt;</code> shows which replicate.</p>
${note ? `<p class="warn">${inline(note)}</p>\n` : ''}${partsNote(results) ? `<p>${inline(partsNote(results)!)}</p>\n` : ''}<h2>The article's claims</h2>
<p>From one run. Each ratio is the median of ratios taken pair by pair from samples of the two targets measured next to each other, with a distribution-free interval and its real confidence level.</p>
${htmlTable(claims, { attrs: ' id="claims"', rowAttrs: (i) => `data-claim="${verdicts[i]!.claim.id}"`, cellClass: (i, j) => (j === 4 ? verdicts[i]!.verdict : undefined) })}
<details><summary>Where each ratio comes from</summary><ul>${claimTraces(verdicts).map((t) => `<li>${inline(t)}</li>`).join('')}</ul></details>
${sections.join('\n')}
<h2>Targets</h2>
${htmlTable(targetsTable(results))}
${services ? `<h2>Services</h2>\n${htmlTable(services)}\n` : ''}<h2>Environment</h2>
<table id="environment"><tbody>
${environmentRows(results).map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${esc(v!)}</td></tr>`).join('\n')}
</tbody></table>
</body></html>
`;
  files.unshift({ path: 'report.html', content: html });
  return files;
}
