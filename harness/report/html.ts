// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched at view
// time) that opens with the claims at a glance (a short table and the forest plot, one screen), the
// claims in detail one click below, then each scenario's section with its charts, and the machine.
// Plus the charts as SVG and PNG files.
import { hostsNote, hostsTable } from './hosts.ts';
import type { ReportFile, RunResults, Table } from '../types.ts';
import { chartSpecs, renderPng, renderSvg } from './charts.ts';
import {
  claimsIntro,
  claimsTable,
  claimTraces,
  environmentRows,
  evaluateClaims,
  GLANCE_KEY,
  glanceIntro,
  glanceTable,
  headerLine,
  migrationNote,
  partsNote,
  scenarioReports,
  servicesTable,
  statusText,
  targetsTable,
  VERDICT_COLUMN,
} from './sections.ts';

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The little Markdown the sections use: `code` and **bold**. */
const inline = (text: string): string => esc(text).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');

const CSS = `body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.supported{color:#1a7f37;font-weight:bold}.refuted{color:#c62828;font-weight:bold}.inconclusive{color:#8a6d00;font-weight:bold}.shown{color:#555}
figure{margin:1.5rem 0;padding:1rem;border:1px solid #e3e3e3;border-radius:6px}figcaption{font-weight:bold;margin-bottom:.5rem}
.not-measured{color:#666;font-style:italic}.warn{color:#8a6d00}
#at-a-glance h2{margin:.75rem 0 .25rem}#glance{font-size:.8rem;margin:.35rem 0}#glance th,#glance td{padding:.1rem .4rem}
#glance td:not(:first-child):not(:last-child){white-space:nowrap}.glance-intro{font-size:.8rem;margin:.25rem 0;color:#444}
#glance-chart{margin:.5rem 0;padding:0;border:0}
details.claims-detail>summary{font-size:1.5em;font-weight:bold;margin:1.5rem 0 .5rem;cursor:pointer}`;

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
  // Figures by scenario; the claims' forest plot (scenario null) goes with the glance.
  const figuresBy = new Map<string | null, string[]>();
  for (const c of chartSpecs(results)) {
    const list = figuresBy.get(c.scenario) ?? [];
    figuresBy.set(c.scenario, list);
    // The glance's chart has its title in the SVG and no caption, so that the first screen stays small.
    const glance = c.scenario === null;
    const open = `<figure class="chart" data-chart="${c.name}"${glance ? ' id="glance-chart"' : ''}>`;
    const caption = glance ? '' : `<figcaption>${esc(c.title)}</figcaption>`;
    if (!c.spec) {
      list.push(`${open}<figcaption>${esc(c.title)}</figcaption><p class="not-measured">${inline(c.missing ?? 'nothing to draw')}</p></figure>`);
      continue;
    }
    const svg = await renderSvg(c.spec);
    files.push({ path: `charts/${c.name}.svg`, content: svg }, { path: `charts/${c.name}.png`, content: renderPng(svg) });
    list.push(`${open}${caption}${svg}</figure>`);
  }
  const verdicts = evaluateClaims(results);
  // Both tables: a row per verdict with its claim's id, and the verdict cell coloured.
  const claimRows: TableOptions = { rowAttrs: (i) => `data-claim="${verdicts[i]!.claim.id}"`, cellClass: (i, j) => (j === VERDICT_COLUMN ? verdicts[i]!.verdict : undefined) };
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
  const hosts = hostsTable(results);
  const note = migrationNote(results);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Django vs Node.js: benchmark report ${esc(results.runId)}</title><style>${CSS}</style></head>
<body>
<h1>Django vs Node.js: benchmark report ${esc(results.runId)}</h1>
<p>${inline(headerLine(results))}</p>
<section id="at-a-glance"><h2>The article's claims at a glance</h2>
<p class="glance-intro">${inline(glanceIntro(results))}</p>
${htmlTable(glanceTable(verdicts), { attrs: ' id="glance"', ...claimRows })}
<p class="glance-intro">${inline(GLANCE_KEY)}</p>
${(figuresBy.get(null) ?? []).join('\n')}
</section>
<p>Every figure comes from <code>results.json</code> beside this file; <code>report.md</code> has the same tables. Absolute figures belong to this machine (${esc(env.cpuModel)}, ${env.cores} cores); the claims are judged on ratios measured in this run, and these verdicts come from one run: <code>npm run bench -- claims &lt;run&gt; &lt;run&gt;</code> shows which replicate.</p>
${note ? `<p class="warn">${inline(note)}</p>\n` : ''}${partsNote(results) ? `<p>${inline(partsNote(results)!)}</p>\n` : ''}<details class="claims-detail"><summary>The claims in detail</summary>
<p>${inline(claimsIntro(results))}</p>
${htmlTable(claimsTable(verdicts), { attrs: ' id="claims"', ...claimRows })}
<details><summary>Where each ratio comes from</summary><ul>${claimTraces(verdicts).map((t) => `<li>${inline(t)}</li>`).join('')}</ul></details>
</details>
${sections.join('\n')}
<h2>Targets</h2>
${htmlTable(targetsTable(results))}
${services ? `<h2>Services</h2>\n${htmlTable(services)}\n` : ''}${hosts ? `<h2>Hosts</h2>\n<p>${inline(hostsNote(results)!)}</p>\n${htmlTable(hosts)}\n` : ''}<h2>Environment</h2>
<table id="environment"><tbody>
${environmentRows(results).map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${esc(v!)}</td></tr>`).join('\n')}
</tbody></table>
</body></html>
`;
  files.unshift({ path: 'report.html', content: html });
  return files;
}
