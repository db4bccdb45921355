// Runs a target's prepare commands once per change of their inputs: a stamp file in the target
// folder records a hash of the commands, the input files and the toolchain used.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import type { Target } from '../types.ts';
import { findNpm, findPython } from './toolchain.ts';

const STAMP = '.prepared.json';

/** Replaces {name} placeholders; unknown names are left as they are so that typos show up in errors. */
export function substitute(args: string[], values: Record<string, string>): string[] {
  return args.map((arg) => arg.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole));
}

/** Relative executable paths in declarations ("./x", ".venv/bin/x") live in the target folder. */
export function resolveExecutable(dir: string, file: string): string {
  return file.includes('/') && !path.isAbsolute(file) ? path.join(dir, file) : file;
}

async function toolchainValues(target: Target): Promise<Record<string, string>> {
  if (target.decl.local.toolchain === 'python') {
    // A version may need a range of Pythons (Django 6: >= 3.12): the newest host Python within it.
    const python = await findPython(target.version?.python);
    return { python: python.path, toolchain: `python ${python.version}` };
  }
  return { toolchain: `npm ${await findNpm()}` };
}

function stampFor(target: Target, values: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ prepare: target.decl.local.prepare, toolchain: values.toolchain }));
  for (const input of target.decl.local.prepareInputs) {
    const file = path.join(target.dir, input);
    hash.update(input);
    hash.update(fs.existsSync(file) ? fs.readFileSync(file) : 'missing');
  }
  return hash.digest('hex');
}

export async function prepareLocal(target: Target, log: (line: string) => void): Promise<void> {
  const values = await toolchainValues(target);
  const stampPath = path.join(target.dir, STAMP);
  const stamp = stampFor(target, values);
  try {
    if (JSON.parse(fs.readFileSync(stampPath, 'utf8')).stamp === stamp) return;
  } catch {
    // no stamp yet
  }
  fs.rmSync(stampPath, { force: true });
  for (const command of target.decl.local.prepare) {
    const [file, ...args] = substitute(command, values);
    log(`${target.decl.name}: ${[file, ...args].join(' ')}`);
    const result = await execa(resolveExecutable(target.dir, file!), args, { cwd: target.dir, all: true, reject: false, stdin: 'ignore' });
    if (result.exitCode !== 0) {
      const tail = errorLinesAndTail(String(result.all ?? '').split('\n').filter(Boolean), 30);
      const fix =
        target.decl.local.toolchain === 'python'
          ? 'Check that PyPI is reachable (pip needs it) and that the Python headers and a C compiler are installed for packages without wheels (sudo apt-get install -y python3-dev build-essential); then run the command again.'
          : 'Check that the npm registry is reachable and that npm works (npm ping); then run the command again.';
      throw new UserError(`Preparing target "${target.decl.name}" failed: \`${command.join(' ')}\` exited with ${result.exitCode ?? result.signal ?? result.code}.`, fix, tail);
    }
  }
  fs.writeFileSync(stampPath, JSON.stringify({ stamp, preparedAt: new Date().toISOString() }) + '\n');
}

/** The last lines, preceded by earlier lines that look like the error itself (npm and pip print
 * the cause first and pages of usage or traceback after it). */
export function errorLinesAndTail(lines: string[], tail: number): string[] {
  const last = lines.slice(-tail);
  const earlier = lines.slice(0, Math.max(0, lines.length - tail));
  const errors = earlier.filter((l) => /\berror\b|ERR!|fatal/i.test(l)).slice(0, 5);
  return errors.length ? [...errors, '...', ...last] : last;
}
