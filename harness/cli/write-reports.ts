// The only place where reports become files.
import fs from 'node:fs';
import path from 'node:path';
import { markdownReporter } from '../report/markdown.ts';
import { writeFileAtomic } from '../results/store.ts';
import type { Reporter, RunResults } from '../types.ts';

export const reporters: Reporter[] = [markdownReporter];

export function writeReports(dir: string, results: RunResults): string[] {
  const written: string[] = [];
  for (const reporter of reporters) {
    for (const file of reporter(results)) {
      const full = path.join(dir, file.path);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      writeFileAtomic(full, file.content);
      written.push(full);
    }
  }
  return written;
}
