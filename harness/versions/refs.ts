// Target names with versions, as users write them: `node@25`, `django@5.2`, `node@main` (a git
// revision), and matrices such as `--versions node=24,25,26 django=4.2,5.2`.
import { UserError } from '../errors.ts';

export interface TargetRef {
  /** The target's own name (its folder). */
  family: string;
  /** What follows the @: an offered version or a git revision; absent for a bare name (the default). */
  version?: string;
}

/** `node@25` → {family: node, version: 25}; the first @ splits (a revision may hold none, a family never does). */
export function parseTargetRef(text: string): TargetRef {
  const at = text.indexOf('@');
  if (at < 0) return { family: text };
  const family = text.slice(0, at);
  const version = text.slice(at + 1);
  if (!family || !version) throw new UserError(`"${text}" is not a target name.`, 'Write a target as name or name@version, e.g. node or node@25 (see `npm run bench -- list`).');
  return { family, version };
}

export const refName = (ref: TargetRef): string => (ref.version ? `${ref.family}@${ref.version}` : ref.family);

/** `node=24,25,26` entries (one per argument, or separated by spaces or semicolons) → {node: [24, 25, 26]}. */
export function parseVersionsMatrix(entries: string[], flag = '--versions'): Record<string, string[]> {
  const matrix: Record<string, string[]> = {};
  for (const entry of entries.flatMap((e) => e.split(/[\s;]+/)).filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(entry);
    const versions = m?.[2]!.split(',').map((v) => v.trim()).filter(Boolean) ?? [];
    if (!m || versions.length === 0) {
      throw new UserError(`${flag}: "${entry}" is not target=versions.`, `Write e.g. ${flag} node=24,25,26 django=4.2,5.2,6.1 (a target's versions are in \`npm run bench -- list\`).`);
    }
    if (matrix[m[1]!]) throw new UserError(`${flag}: ${m[1]} is given twice.`, `Give each target once, with all its versions: ${m[1]}=${[...matrix[m[1]!]!, ...versions].join(',')}.`);
    matrix[m[1]!] = versions;
  }
  return matrix;
}

/**
 * The run's target names: the selected ones (all families when none were selected), each family
 * the matrix names replaced, where it stands, by its versions; a matrix family that was not
 * selected is added at the end. Names are kept once each, in order.
 */
export function expandMatrix(selected: string[], matrix: Record<string, string[]>): string[] {
  const out: string[] = [];
  const used = new Set<string>();
  for (const name of selected) {
    const { family, version } = parseTargetRef(name);
    const versions = matrix[family];
    if (versions && !version) {
      used.add(family);
      out.push(...versions.map((v) => `${family}@${v}`));
    } else out.push(name);
  }
  for (const [family, versions] of Object.entries(matrix)) if (!used.has(family) && !selected.some((s) => parseTargetRef(s).family === family)) out.push(...versions.map((v) => `${family}@${v}`));
  return [...new Set(out)];
}
