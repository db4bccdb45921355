// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched at view
// time) with the claims table, every chart, and the machine. Plus the charts as SVG and PNG files.
import { evaluateClaims } from '../claims/evaluate.ts';
import type { ReportFile, RunResults } from '../types.ts';
import { chartSpecs, renderPng, renderSvg } from './charts.ts';
import { fmtGiB, sideFigure } from './format.ts';

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.supported{color:#1a7f37;font-weight:bold}.refuted{color:#c62828;font-weight:bold}.inconclusive{color:#8a6d00;font-weight:bold}
figure{margin:1.5rem 0;padding:1rem;border:1px solid #e3e3e3;border-radius:6px}figcaption{font-weight:bold;margin-bottom:.5rem}
.not-measured{color:#666;font-style:italic}.charts{display:grid;grid-template-columns:1fr;gap:1rem}`;

export async function renderHtmlAndCharts(results: RunResults): Promise<ReportFile[]> {
  const files: ReportFile[] = [];
  const figures: string[] = [];
  const ran = new Set(results.measurements.map((m) => m.scenario));
  for (const c of chartSpecs(results)) {
    if (!c.spec) {
      const why = ran.has(c.scenario) ? `no valid measurement of the \`${c.scenario}\` scenario in this run` : `not measured: the \`${c.scenario}\` scenario did not run`;
      figures.push(`<figure class="chart" data-chart="${c.name}"><figcaption>${esc(c.title)}</figcaption><p class="not-measured">${esc(why)}</p></figure>`);
      continue;
    }
    const svg = await renderSvg(c.spec);
    files.push({ path: `charts/${c.name}.svg`, content: svg }, { path: `charts/${c.name}.png`, content: renderPng(svg) });
    figures.push(`<figure class="chart" data-chart="${c.name}"><figcaption>${esc(c.title)}</figcaption>${svg}</figure>`);
  }
  const verdicts = evaluateClaims(results);
  const env = results.environment;
  const claimRows = verdicts
    .map(
      (v) =>
        `<tr data-claim="${v.claim.id}"><td>${esc(v.claim.prediction)}<br><small>“${esc(v.claim.quote)}”</small></td><td>${esc(v.claim.articleFigures)}</td>` +
        `<td>${v.numerator && v.denominator ? `${esc(sideFigure(v.numerator))};<br>${esc(sideFigure(v.denominator))}` : 'n/a'}</td>` +
        `<td>${v.ratio ? `${v.ratio.value.toFixed(2)} (${v.ratio.ci95[0].toFixed(2)}–${v.ratio.ci95[1].toFixed(2)})` : 'n/a'}</td>` +
        `<td class="${v.verdict}">${v.verdict}</td><td>${esc(v.reason)}</td></tr>`,
    )
    .join('\n');
  const envRows: [string, string][] = [
    ['CPU', `${env.cpuModel} (${env.cores} cores)`],
    ['memory', fmtGiB(env.memoryBytes)],
    ['OS / kernel', `${env.os} / ${env.kernel} (${env.arch})`],
    ['runtime', results.runtime === 'docker' && env.engine ? `docker: ${env.engine.name} ${env.engine.version}` : results.runtime],
    ['pinning', `target on CPUs ${env.pinning.targetCpus.join(',')}, loader on CPUs ${env.pinning.loaderCpus.join(',')} (${env.pinning.method})`],
    ['loader', `${env.loader.name} ${env.loader.version}`],
    ['harness', `commit ${env.gitCommit ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}, Node.js ${env.harnessNode}`],
    ...Object.values(results.targets).map((t): [string, string] => [`target ${t.name}`, Object.entries(t.versions).map(([k, v]) => `${k} ${v}`).join(', ') || 'versions not read']),
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Django vs Node.js: benchmark report ${esc(results.runId)}</title><style>${CSS}</style></head>
<body>
<h1>Django vs Node.js: benchmark report ${esc(results.runId)}</h1>
<p>Run ${results.state === 'done' ? 'completed' : `<strong>${esc(results.state)}</strong> (partial results)`}; profile <code>${esc(results.profile)}</code>, runtime <code>${esc(results.runtime)}</code>, started ${esc(results.startedAt)}. Every figure comes from <code>results.json</code> beside this file; <code>report.md</code> has the full tables. Absolute figures belong to this machine (${esc(env.cpuModel)}, ${env.cores} cores); the claims are judged on ratios measured in this run.</p>
<h2>The article's claims</h2>
<table id="claims"><thead><tr><th>claim</th><th>the article's figures</th><th>measured here</th><th>ratio (95% CI)</th><th>verdict</th><th>why</th></tr></thead>
<tbody>
${claimRows}
</tbody></table>
<h2>Charts</h2>
<div class="charts">
${figures.join('\n')}
</div>
<h2>Environment</h2>
<table id="environment"><tbody>
${envRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}
</tbody></table>
</body></html>
`;
  files.unshift({ path: 'report.html', content: html });
  return files;
}
