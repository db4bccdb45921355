// The only place where reports become files.
import fs from 'node:fs';
import path from 'node:path';
import { renderHtmlAndCharts } from '../report/html.ts';
import { markdownReporter } from '../report/markdown.ts';
import { writeFileAtomic } from '../results/store.ts';
import type { Reporter, ReportFile, RunResults } from '../types.ts';

/** Cheap reporters, rewritten after every measurement during a run. */
export const quickReporters: Reporter[] = [markdownReporter];
/** Every reporter: at the end of a run, and by `bench chart`. */
export const reporters: Reporter[] = [markdownReporter, renderHtmlAndCharts];

function write(dir: string, files: ReportFile[]): string[] {
  return files.map((file) => {
    const full = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    writeFileAtomic(full, file.content);
    return full;
  });
}

export function writeQuickReports(dir: string, results: RunResults): string[] {
  return quickReporters.flatMap((r) => write(dir, r(results) as ReportFile[]));
}

export async function writeReports(dir: string, results: RunResults): Promise<string[]> {
  const written: string[] = [];
  for (const reporter of reporters) written.push(...write(dir, await reporter(results)));
  return written;
}
