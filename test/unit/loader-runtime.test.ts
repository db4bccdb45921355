// The load generator's runtime: Bun from npm runs a .ts program with the project's dependencies,
// and the Node fallback (through tsx) runs the same program.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { bunCandidates, chooseLoaderRuntime, findBun, resolveLoaderRuntime } from '../../harness/load/loader-runtime.ts';

const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

// A tiny loader-like program: imports hdr-histogram-js, records 1..1000 and prints p99 and the runtime.
const PROGRAM = `import * as hdr from 'hdr-histogram-js';
const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
for (let i = 1; i <= 1000; i++) h.recordValue(i);
const runtime: string = typeof (globalThis as { Bun?: unknown }).Bun === 'undefined' ? 'node' : 'bun';
console.log(JSON.stringify({ runtime, p99: h.getValueAtPercentile(99), argv: process.argv.slice(2) }));
`;

let dir = '';
let file = '';

beforeAll(() => {
  // A folder outside the project whose node_modules is the project's, as the loader's own would be.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loader-runtime-test-'));
  fs.symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'), 'dir');
  file = path.join(dir, 'program.ts');
  fs.writeFileSync(file, PROGRAM);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function runProgram(command: string[]) {
  const [bin, ...args] = command;
  const result = await execa(bin!, [...args, file, 'x'], { cwd: dir, reject: false, stdin: 'ignore', timeout: 20_000 });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout).trim().split('\n').at(-1)!) as { runtime: string; p99: number; argv: string[] };
}

describe('resolveLoaderRuntime', () => {
  it('finds the Bun binary from npm and runs it', async () => {
    const found = await findBun();
    expect(found.ok, found.ok ? '' : found.why).toBe(true);
    if (!found.ok) return;
    expect(bunCandidates()).toContain(found.path);
    expect(found.version).toBe('1.4.5');

    const runtime = await resolveLoaderRuntime();
    expect(runtime.name).toBe('bun');
    expect(runtime.version).toBe('1.4.5');
    expect(runtime.command[0]).toBe(found.path);
    expect(await resolveLoaderRuntime('bun')).toEqual(runtime);
  });

  it('Bun runs a .ts file that imports hdr-histogram-js', async () => {
    const out = await runProgram((await resolveLoaderRuntime('bun')).command);
    expect(out).toEqual({ runtime: 'bun', p99: 990, argv: ['x'] });
  });

  it('the node fallback runs the same file through tsx', async () => {
    const runtime = await resolveLoaderRuntime('node');
    expect(runtime.name).toBe('node');
    expect(runtime.version).toBe(process.versions.node);
    expect(runtime.command[0]).toBe(process.execPath);
    expect(runtime.command.slice(1, 2)).toEqual(['--import']);
    expect(path.isAbsolute(runtime.command[2]!)).toBe(true);
    const out = await runProgram(runtime.command);
    expect(out).toEqual({ runtime: 'node', p99: 990, argv: ['x'] });
  });

  it('takes the @oven binary when install scripts did not run (bun.exe is then a placeholder script)', async () => {
    const real = await findBun();
    if (!real.ok) throw new Error(real.why);
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'loader-runtime-nm-'));
    try {
      fs.mkdirSync(path.join(fake, 'bun/bin'), { recursive: true });
      fs.writeFileSync(path.join(fake, 'bun/bin/bun.exe'), '#!/bin/sh\necho "Error: Bun\'s postinstall script was not run." >&2\nexit 1\n', { mode: 0o755 });
      expect(await findBun(fake)).toMatchObject({ ok: false, why: expect.stringMatching(/no Bun binary/) });
      const oven = path.join(fake, '@oven', process.arch === 'arm64' ? 'bun-linux-aarch64' : 'bun-linux-x64', 'bin');
      fs.mkdirSync(oven, { recursive: true });
      fs.symlinkSync(real.path, path.join(oven, 'bun'));
      expect(await findBun(fake)).toEqual({ ok: true, path: path.join(oven, 'bun'), version: '1.4.5' });
    } finally {
      fs.rmSync(fake, { recursive: true, force: true });
    }
  });

  it('falls back to node when Bun does not run, and throws a UserError when Bun was forced', () => {
    const missing = { ok: false as const, why: 'no Bun binary in /x' };
    expect(chooseLoaderRuntime(missing).name).toBe('node');
    expect(chooseLoaderRuntime(missing, 'node').name).toBe('node');
    expect(() => chooseLoaderRuntime(missing, 'bun')).toThrow(UserError);
    expect(() => chooseLoaderRuntime(missing, 'bun')).toThrow(/does not run here: no Bun binary in \/x/);
    try {
      chooseLoaderRuntime(missing, 'bun');
    } catch (e) {
      expect((e as UserError).fix).toMatch(/npm ci/);
    }
  });
});
