// Writes a benchmark script's result into README.md between its start and end markers, so the
// figures there always come from the script (with the machine and commit it names).
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { PROJECT_ROOT } from '../targets.ts';

export function replaceReadmeBlock(start: string, end: string, block: string, readme = path.join(PROJECT_ROOT, 'README.md')): void {
  const text = fs.readFileSync(readme, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new UserError(`README.md has no ${start} ... ${end} markers.`, 'Add them where the result should go, or pass --no-readme.');
  fs.writeFileSync(readme, text.slice(0, a) + block + text.slice(b + end.length));
}
