// A version's own folder: the project folder copied with the version's overlay files over it, or a
// git revision's targets folder, so that versions never share what prepare installs (node_modules,
// .venv) and each is built from exactly its files. The folders live in <targets>/.versions/.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { isExcluded } from '../docker/context.ts';
import { UserError } from '../errors.ts';

/** The folder the versions' copies are made in (ignored by git and by the target scan: it holds no target.json). */
export const versionsRoot = (targetsDir: string): string => path.join(targetsDir, '.versions');

/** Files under `dir`, relative, without what prepare installs and without `skip` (the overlays). */
function filesOf(dir: string, skip: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (isExcluded(child) || skip(child)) continue;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out;
}

/**
 * Makes `dest` hold the project's files with the overlay's over them (a file the project no longer
 * has is removed; what prepare installed there is kept, so an unchanged version is not installed
 * again). Returns `dest`.
 */
export function syncVersionFolder(projectDir: string, overlayRel: string, dest: string): string {
  const overlay = path.resolve(projectDir, overlayRel);
  if (!fs.existsSync(overlay)) throw new UserError(`The overlay folder ${overlay} does not exist.`, 'Fix `overlay` in the offer of target.json: a folder relative to the project folder.');
  const overlayTop = path.relative(projectDir, overlay).split(path.sep)[0]!;
  const wanted = new Map<string, string>();
  for (const rel of filesOf(projectDir, (r) => r === overlayTop)) wanted.set(rel, path.join(projectDir, rel));
  for (const rel of filesOf(overlay, () => false)) wanted.set(rel, path.join(overlay, rel));
  fs.mkdirSync(dest, { recursive: true });
  for (const rel of filesOf(dest, () => false)) if (!wanted.has(rel)) fs.rmSync(path.join(dest, rel));
  for (const [rel, from] of wanted) {
    const to = path.join(dest, rel);
    const content = fs.readFileSync(from);
    if (fs.existsSync(to) && fs.readFileSync(to).equals(content)) continue;
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, content, { mode: fs.statSync(from).mode });
  }
  return dest;
}

export interface Revision {
  commit: string;
  subject: string;
  /** The repository's top folder. */
  top: string;
}

/** The commit a revision names in the repository holding `dir`, or null when it names none. */
export async function resolveRevision(dir: string, revision: string): Promise<Revision | null> {
  const top = await execa('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { reject: false });
  if (top.exitCode !== 0) {
    throw new UserError(`"${revision}" is no version of the target, and ${dir} is not in a git repository, so it cannot be a revision either.`, 'Use an offered version (see `npm run bench -- list`), or run from a git clone.');
  }
  const parsed = await execa('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`], { reject: false });
  if (parsed.exitCode !== 0) return null;
  const commit = String(parsed.stdout).trim();
  const subject = String((await execa('git', ['-C', dir, 'log', '-1', '--format=%s', commit])).stdout).trim();
  return { commit, subject, top: String(top.stdout).trim() };
}

/**
 * The targets folder as committed at a revision, extracted once per commit into
 * <targets>/.versions/git-<commit>/; returns the extracted targets folder.
 */
export async function extractRevision(targetsDir: string, revision: Revision): Promise<string> {
  const rel = path.relative(revision.top, fs.realpathSync(targetsDir));
  const root = path.join(versionsRoot(targetsDir), `git-${revision.commit.slice(0, 12)}`);
  const extracted = path.join(root, rel);
  if (fs.existsSync(path.join(root, '.complete'))) return extracted;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const archive = execa('git', ['-C', revision.top, 'archive', '--format=tar', revision.commit, '--', rel || '.'], { encoding: 'buffer', reject: false });
  const untar = execa('tar', ['-x', '-C', root], { reject: false });
  archive.stdout!.pipe(untar.stdin!);
  const [a, u] = await Promise.all([archive, untar]);
  if (a.exitCode !== 0 || u.exitCode !== 0) {
    fs.rmSync(root, { recursive: true, force: true });
    throw new UserError(`Could not extract ${rel || 'the repository'} at ${revision.commit.slice(0, 12)}.`, 'Check that git and tar work here.', String(a.stderr || u.stderr).split('\n').slice(-5));
  }
  fs.writeFileSync(path.join(root, '.complete'), `${revision.commit}\n`);
  return extracted;
}
