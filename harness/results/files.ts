// Writing result and report files so that a crash never leaves half a file.
import fs from 'node:fs';

export const RESULTS_FILE = 'results.json';

export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
