// The kit image (docker/kit.Dockerfile): the harness's worker programs as another host runs them,
// where the harness's folder and node_modules do not exist. The sources are those the workers
// import (followed from KIT_WORKERS), laid out under /kit as in the repository so that a script's
// path maps by prefix; the npm packages are the ones they import with their dependencies, copied
// whole; Bun is the binary the harness already runs its loader with. Tagged by the hash of that
// context, so an unchanged kit is found, not rebuilt.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-fs';
import { UserError } from '../errors.ts';
import { ensureBase } from '../docker/bases.ts';
import { buildImage, imageExists } from '../docker/build.ts';
import type { Engine } from '../docker/engine.ts';
import { labels, LABEL_CONTEXT, LABEL_TARGET } from '../docker/labels.ts';
import type { ProgramRuntime } from '../load/kit/pool.ts';
import { findBun } from '../load/loader-runtime.ts';
import { PROJECT_ROOT } from '../targets.ts';

export const KIT_ROOT = '/kit';

/** The programs the kit runs, relative to the project: their imports make up the kit. */
export const KIT_WORKERS = ['harness/load/http/worker.ts', 'harness/load/ws/worker.ts', 'harness/hosts/reader-worker.ts'];

const DOCKERFILE = path.join(PROJECT_ROOT, 'docker/kit.Dockerfile');

/** Where a program under the project folder is in the kit image. */
export function kitPath(absScript: string): string {
  const rel = path.relative(PROJECT_ROOT, path.resolve(absScript));
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UserError(`${absScript} is not in the harness's folder (${PROJECT_ROOT}), so it is not in the kit image.`);
  return path.posix.join(KIT_ROOT, ...rel.split(path.sep));
}

/** What runs a program in the kit image: its Bun, with the flags the local loader runtime uses. */
export function kitRuntime(bunVersion: string): ProgramRuntime {
  return { name: 'bun', version: bunVersion, command: [`${KIT_ROOT}/bun`, '--no-install', '--no-env-file'] };
}

// Runtime imports only: `import type` and `export type` are erased, so they need nothing in the kit.
const STATIC_IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The kit's contents, relative to `root`: the workers' sources and the folders of the packages they need. */
export function kitFiles(root: string = PROJECT_ROOT, workers: string[] = KIT_WORKERS): { sources: string[]; packages: string[] } {
  const sources = new Set<string>();
  const bare = new Set<string>();
  const visit = (rel: string) => {
    if (sources.has(rel)) return;
    const file = path.join(root, rel);
    if (!fs.existsSync(file)) throw new Error(`kit: ${rel} is imported but does not exist`);
    sources.add(rel);
    const text = fs.readFileSync(file, 'utf8');
    const specs = [...text.matchAll(STATIC_IMPORT)].filter((m) => !m[1]).map((m) => m[2]!);
    specs.push(...[...text.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!));
    for (const spec of specs) {
      if (spec.startsWith('.')) visit(path.relative(root, path.resolve(path.dirname(file), spec)));
      else if (!spec.startsWith('node:') && !isBuiltin(spec)) bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  for (const w of workers) visit(w);
  return { sources: [...sources].sort(), packages: packageClosure(root, [...bare]) };
}

/** The package folders (relative to `root`) that `names` need: each one's dependencies, found as Node
 * finds them (its own node_modules first, then upwards). A nested one is inside its parent's folder. */
function packageClosure(root: string, names: string[]): string[] {
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) resolve(dep, dir);
  };
  const resolve = (name: string, from: string) => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) {
        if (seen.has(candidate)) return;
        seen.add(candidate);
        return walk(candidate);
      }
      if (dir === root || dir === path.dirname(dir)) throw new Error(`kit: the package ${name} (needed from ${path.relative(root, from) || 'the harness'}) is not installed; run npm ci`);
    }
  };
  for (const name of names) resolve(name, root);
  // A nested package is copied with the folder it is nested in.
  const modules = path.join(root, 'node_modules');
  return [...seen].filter((dir) => !path.relative(modules, dir).includes(`${path.sep}node_modules${path.sep}`)).map((dir) => path.relative(root, dir)).sort();
}

/** Regular files under `dir` (links, such as node_modules/.bin, are not needed to run). */
function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full) : e.isFile() ? [full] : [];
  });
}

export interface KitImage {
  tag: string;
  bunVersion: string;
  runtime: ProgramRuntime;
}

/** The kit image on `engine` (this machine's), built unless one of the same context is there. */
export async function ensureKitImage(engine: Engine, log: (line: string) => void): Promise<KitImage> {
  const bun = await findBun();
  if (!bun.ok) throw new UserError(`The kit image needs the Bun binary the harness runs its load generator with, but ${bun.why}.`, 'Run `npm ci` in the project folder (with optional dependencies).');
  const base = await ensureBase(engine, { key: 'debian' }, log);
  const baseId = (await engine.docker.getImage(base.ref).inspect()).Id;
  const { sources, packages } = kitFiles();
  const files = [...sources, ...packages.flatMap((p) => listFiles(path.join(PROJECT_ROOT, p)).map((f) => path.relative(PROJECT_ROOT, f)).sort())];
  // The binary by its version and size: hashing 100 MB at every run would cost a second for nothing.
  const hash = createHash('sha256').update(fs.readFileSync(DOCKERFILE)).update(baseId).update(`bun ${bun.version} ${fs.statSync(bun.path).size}`);
  for (const f of files) hash.update(`\0${f}\0`).update(fs.readFileSync(path.join(PROJECT_ROOT, f)));
  const contextHash = hash.digest('hex').slice(0, 16);
  const tag = `localhost/bench/kit:${contextHash}`;
  const image = { tag, bunVersion: bun.version, runtime: kitRuntime(bun.version) };
  if (await imageExists(engine, tag)) return image;

  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-kit-'));
  try {
    const kit = path.join(ctx, 'kit');
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(kit, f)), { recursive: true });
      fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(kit, f));
    }
    fs.copyFileSync(bun.path, path.join(kit, 'bun'));
    fs.chmodSync(path.join(kit, 'bun'), 0o755);
    fs.copyFileSync(DOCKERFILE, path.join(ctx, 'Dockerfile'));
    log(`building the kit image ${tag} (Bun ${bun.version}, ${sources.length} sources, ${packages.length} packages) on ${base.ref}`);
    await buildImage(
      engine,
      {
        context: tar.pack(ctx) as unknown as Readable,
        tag,
        buildargs: { BASE: base.ref },
        // A target image's kind: a plain `bench clean` removes kits left by older harness sources.
        labels: labels('target', { [LABEL_TARGET]: 'kit', [LABEL_CONTEXT]: contextHash }),
        what: 'the kit image',
      },
      log,
    );
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
  return image;
}
