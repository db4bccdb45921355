// Runs before `npm run bench` and `npm test` (npm's pre-scripts) so that a fresh clone needs no
// separate install step. Plain JavaScript on purpose: it runs before tsx is installed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`error: the harness needs Node.js >= 20; this is ${process.version}. Fix: install a newer Node.js (e.g. from your distribution or nodejs.org).`);
  process.exit(2);
}

const fresh = fs.existsSync(installed) && fs.statSync(installed).mtimeMs >= fs.statSync(lock).mtimeMs;
if (!fresh) {
  console.error('Installing the harness dependencies (npm ci)...');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error('error: `npm ci` failed. Fix: check that the npm registry is reachable (npm ping) and run `npm ci` by hand to see why.');
    process.exit(2);
  }
}
