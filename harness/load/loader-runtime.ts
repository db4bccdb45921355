// What runs the harness's own load generator (a .ts program): Bun from npm (the `bun` dependency)
// when its binary runs on this machine, otherwise the Node that runs the harness, through tsx.
//
// Where npm leaves Bun's binary: the `bun` package's postinstall moves the binary of the optional
// dependency for this platform (@oven/bun-linux-x64, ...) to node_modules/bun/bin/bun.exe, leaving
// the @oven folder's bin/ empty. When install scripts do not run (--ignore-scripts, or an npm that
// asks for them to be allowed), bun.exe is a shell script that prints an error and the real binary
// stays in node_modules/@oven/bun-<platform>/bin/bun. Both places are looked at here.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';

export interface LoaderRuntime {
  name: 'bun' | 'node';
  version: string;
  /** argv prefix that runs a .ts file */
  command: string[];
}

const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
const VERSION_TIMEOUT_MS = 5000;

/** The @oven packages that can hold a Bun binary for this machine, best first. */
function ovenPackages(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string[] {
  if (platform !== 'linux') return [];
  if (arch === 'x64') return ['bun-linux-x64', 'bun-linux-x64-baseline', 'bun-linux-x64-musl', 'bun-linux-x64-musl-baseline'];
  if (arch === 'arm64') return ['bun-linux-aarch64', 'bun-linux-aarch64-musl'];
  return [];
}

/** Paths where npm may have put a Bun binary, in the order they are tried. */
export function bunCandidates(nodeModules: string = NODE_MODULES): string[] {
  return [path.join(nodeModules, 'bun/bin/bun.exe'), ...ovenPackages().map((p) => path.join(nodeModules, '@oven', p, 'bin/bun'))];
}

/** True for an executable file that is a real binary (ELF), not the placeholder script npm leaves when install scripts did not run. */
function isBinary(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    const fd = fs.openSync(file, 'r');
    try {
      const magic = Buffer.alloc(4);
      fs.readSync(fd, magic, 0, 4, 0);
      return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

function runVersion(file: string): Promise<{ ok: true; version: string } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: VERSION_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const version = stdout.trim();
      if (!error && /^\d+\.\d+\.\d+/.test(version)) return resolve({ ok: true, version });
      const detail = stderr.trim().split('\n').at(-1) || stdout.trim().split('\n').at(-1) || '';
      const how = error?.killed
        ? `did not answer \`--version\` within ${VERSION_TIMEOUT_MS / 1000} s`
        : error
          ? `failed (${error.signal ? `signal ${error.signal}` : `exit ${String(error.code)}`})`
          : `printed no version`;
      resolve({ ok: false, why: `${file} ${how}${detail ? `: ${detail}` : ''}` });
    });
  });
}

export type BunProbe = { ok: true; path: string; version: string } | { ok: false; why: string };

/** Finds a Bun binary under `nodeModules` that runs here (`bun --version`). */
export async function findBun(nodeModules: string = NODE_MODULES): Promise<BunProbe> {
  if (ovenPackages().length === 0) return { ok: false, why: `the npm package \`bun\` has no Linux binary for ${process.platform}-${process.arch} that the harness knows of` };
  const failures: string[] = [];
  for (const file of bunCandidates(nodeModules)) {
    if (!isBinary(file)) continue;
    const probe = await runVersion(file);
    if (probe.ok) return { ok: true, path: file, version: probe.version };
    failures.push(probe.why);
  }
  if (failures.length) return { ok: false, why: failures.join('; ') };
  return { ok: false, why: `no Bun binary in ${nodeModules} (looked for bun/bin/bun.exe and ${ovenPackages().map((p) => `@oven/${p}/bin/bun`).join(', ')})` };
}

let bunProbe: Promise<BunProbe> | null = null;

function nodeRuntime(): LoaderRuntime {
  return { name: 'node', version: process.versions.node, command: [process.execPath, '--import', fileURLToPath(import.meta.resolve('tsx'))] };
}

/** Bun from node_modules when it runs here; otherwise the Node that runs the harness, through tsx. `prefer` forces one. */
export async function resolveLoaderRuntime(prefer?: 'bun' | 'node'): Promise<LoaderRuntime> {
  if (prefer === 'node') return nodeRuntime();
  bunProbe ??= findBun();
  return chooseLoaderRuntime(await bunProbe, prefer);
}

/** The choice of resolveLoaderRuntime for a given probe of Bun. */
export function chooseLoaderRuntime(bun: BunProbe, prefer?: 'bun' | 'node'): LoaderRuntime {
  if (prefer === 'node') return nodeRuntime();
  // --no-install: Bun would otherwise install an import it cannot resolve from npm on the fly (when
  // no node_modules folder is found); --no-env-file: nor read a .env file from the working folder.
  if (bun.ok) return { name: 'bun', version: bun.version, command: [bun.path, '--no-install', '--no-env-file'] };
  if (prefer === 'bun') {
    throw new UserError(
      `Bun was asked for as the load generator's runtime but does not run here: ${bun.why}.`,
      'Run `npm ci` in the project folder (with optional dependencies, not --omit=optional: the binary comes from @oven/bun-linux-x64 or its -musl variant). ' +
        'On a CPU without AVX2 ("Illegal instruction"), install the baseline build: `npm install --no-save @oven/bun-linux-x64-baseline@1.4.5`. ' +
        'Or do not force Bun, and the harness runs the loader on Node.',
    );
  }
  return nodeRuntime();
}
