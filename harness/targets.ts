// Loads target declarations (targets/<name>/target.json) and resolves names given by the user.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.ts';
import { targetDeclarationSchema } from './schema.ts';
import type { Target } from './types.ts';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_TARGETS_DIR points the harness at another folder of targets (the tests use fixtures). */
export const TARGETS_DIR = process.env.BENCH_TARGETS_DIR ? path.resolve(process.env.BENCH_TARGETS_DIR) : path.join(PROJECT_ROOT, 'targets');

export function loadTarget(dir: string): Target {
  const file = path.join(dir, 'target.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`Cannot read ${path.relative(PROJECT_ROOT, file)}: ${(error as Error).message}.`, 'Fix the JSON syntax of the declaration.');
  }
  const parsed = targetDeclarationSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UserError(`Invalid target declaration ${path.relative(PROJECT_ROOT, file)}: ${issues}.`, 'See targets/CONTRACT.md for the fields of target.json.');
  }
  if (parsed.data.name !== path.basename(dir)) {
    throw new UserError(`Target folder "${path.basename(dir)}" declares the name "${parsed.data.name}".`, 'The name in target.json must equal its folder name.');
  }
  const project = parsed.data.project ? path.resolve(dir, parsed.data.project) : dir;
  if (!fs.existsSync(project)) throw new UserError(`Target "${parsed.data.name}" names the project folder ${parsed.data.project}, which does not exist.`, 'Fix `project` in its target.json: a folder relative to the target folder.');
  return { dir: project, decl: parsed.data };
}

export function loadAllTargets(root = TARGETS_DIR): Target[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, 'target.json')))
    .map((d) => loadTarget(path.join(root, d.name)))
    .sort((a, b) => a.decl.name.localeCompare(b.decl.name));
}

/** Picks targets by name, in the order given; an unknown name is an error that lists the known ones. */
export function selectByName<T>(all: T[], nameOf: (item: T) => string, wanted: string[] | undefined, what: string, flag: string): T[] {
  if (!wanted || wanted.length === 0) return all;
  const known = all.map(nameOf);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) {
    throw new UserError(
      `Unknown ${what}${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `"${u}"`).join(', ')}.`,
      `${flag} takes a comma-separated list of: ${known.join(', ')} (see \`npm run bench -- list\`).`,
    );
  }
  return wanted.map((w) => all.find((item) => nameOf(item) === w)!);
}

/** Environment the harness hands every target besides HOST, PORT, WORKERS and the services' own:
 * the connection count a database target declared (so the figure in results.json is the one used). */
export function declaredEnv(target: Target): Record<string, string> {
  const pool = target.decl.database?.poolPerWorker;
  return pool ? { DB_POOL_SIZE: String(pool) } : {};
}
