// report.md: the claims at a glance first (one short row each), then the claims in detail, each
// scenario's section (brought by its result kind), the targets, the services and the machine.
import { hostsNote, hostsTable } from './hosts.ts';
import type { ReportFile, RunResults, Table } from '../types.ts';
import { cell } from './format.ts';
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

export function mdTable(t: Table): string {
  const lines = [`| ${t.header.join(' | ')} |`, `| ${t.header.map(() => '---').join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
  return (t.caption ? `${t.caption}\n\n` : '') + lines.join('\n');
}

export function renderMarkdown(results: RunResults): string {
  const env = results.environment;
  const verdicts = evaluateClaims(results);
  const bold = (t: Table): Table => ({ ...t, rows: t.rows.map((r) => r.map((c, i) => (i === VERDICT_COLUMN ? `**${c}**` : c))) });
  const out: string[] = [
    `# Benchmark report ${results.runId}`,
    '',
    headerLine(results),
    `Command: \`${results.command}\``,
    '',
    // The verdicts first, on one screen; the reasons follow in "The claims in detail".
    "## The article's claims at a glance",
    '',
    glanceIntro(results),
    '',
    mdTable(bold(glanceTable(verdicts))),
    '',
    GLANCE_KEY,
    '',
    `Absolute figures belong to this machine (${env.cpuModel}, ${env.cores} cores); compare targets within this report, not with figures from other machines.`,
    '',
    ...(migrationNote(results) ? [`> ${migrationNote(results)}`, ''] : []),
    ...(partsNote(results) ? [`> ${partsNote(results)}`, ''] : []),
    '## The claims in detail',
    '',
    `${claimsIntro(results)} The absolute figures are this machine's (${verdicts[0]?.machine ?? 'unknown'}) and are not compared with the article's.`,
    '',
    mdTable(bold(claimsTable(verdicts))),
    '',
  ];
  const traces = claimTraces(verdicts);
  if (traces.length) out.push('<details><summary>Where each ratio comes from</summary>', '', ...traces.map((t) => `- ${t}`), '', '</details>', '');
  for (const r of scenarioReports(results)) {
    out.push(`## Scenario \`${r.scenario}\``, '');
    for (const p of r.section.paragraphs) out.push(p, '');
    for (const t of r.section.tables) out.push(mdTable(t), '');
    if (r.notMeasured.length) {
      out.push('Not measured or not valid:', '');
      for (const m of r.notMeasured) {
        out.push(`- **${m.target}**: ${statusText(m)}`);
        if (m.logTail?.length) {
          out.push('', `  <details><summary>last ${m.logTail.length} log lines</summary>`, '', '  ```', ...m.logTail.map((l) => `  ${l.replace(/```/g, "'''")}`), '  ```', '', '  </details>');
        }
      }
      out.push('');
    }
    if (r.section.warnings.length) out.push('Warnings:', '', ...r.section.warnings.map((w) => `- ${w}`), '');
    if (r.checks) out.push('<details><summary>Contract checks</summary>', '', mdTable(r.checks), '', '</details>', '');
  }
  out.push('## Targets', '', mdTable(targetsTable(results)), '');
  const services = servicesTable(results);
  if (services) out.push('## Services', '', mdTable(services), '');
  const hosts = hostsTable(results);
  if (hosts) out.push('## Hosts', '', hostsNote(results)!, '', mdTable(hosts), '');
  out.push('## Environment', '', mdTable({ header: ['what', 'value'], rows: environmentRows(results) }), '');
  return out.join('\n');
}

export const markdownReporter = (results: RunResults): ReportFile[] => [{ path: 'report.md', content: renderMarkdown(results) }];
