// From the names a user gave (`node`, `node@25`, `django@HEAD~3`) to the targets a run prepares:
// each version in its own folder, its name in results, the Python it needs, and where this run's
// runtime cannot supply that Python, why it is skipped and which runtime can.
import path from 'node:path';
import { UserError } from '../errors.ts';
import { loadTarget, TARGETS_DIR } from '../targets.ts';
import type { PythonOffer, Target, TargetVersion } from '../types.ts';
import { extractRevision, resolveRevision, syncVersionFolder, versionsRoot } from './materialize.ts';
import { describeOffers, inPythonRange, newestInRange } from './python-range.ts';
import { parseTargetRef } from './refs.ts';

/** A runtime, or a runtime's module, as far as versions ask it: which Pythons it has. */
export interface PythonSupplier {
  name: string;
  pythons(): Promise<PythonOffer[]>;
}

interface Context {
  runtime: PythonSupplier;
  others: PythonSupplier[];
  targetsDir: string;
  pythons: PythonOffer[];
}

/** The versions a target offers, in the order target.json lists them ("" when it offers none). */
export const offeredVersions = (target: Target): string[] => Object.keys(target.decl.versions?.offers ?? {});

/** The version a bare name runs on a runtime with these Pythons: the first default it can supply. */
export function defaultVersion(target: Target, pythons: PythonOffer[]): string | undefined {
  const v = target.decl.versions;
  if (!v) return undefined;
  return v.default.find((key) => newestInRange(pythons, v.offers[key]?.python)) ?? v.default[0];
}

async function cannotRun(name: string, range: string | undefined, about: string, ctx: Context): Promise<string | undefined> {
  if (!range || newestInRange(ctx.pythons, range)) return undefined;
  const elsewhere: string[] = [];
  for (const other of ctx.others) {
    // Its two newest within the range: the newest may hang on a registry, the next on a local base.
    const fits = (await other.pythons().catch(() => [])).filter((o) => inPythonRange(o.version, range)).slice(0, 2);
    if (fits.length) elsewhere.push(`the ${other.name} runtime has Python ${fits.map((f) => `${f.version} (${f.from})`).join(' or ')}: --runtime ${other.name}`);
  }
  return `${name} (${about}) needs Python ${range}; the ${ctx.runtime.name} runtime has ${describeOffers(ctx.pythons)}${elsewhere.length ? `; ${elsewhere.join('; ')}` : ''}`;
}

/** One version of `base` (an offered key), named `name`, its folder made. */
async function build(base: Target, key: string | undefined, name: string, version: Omit<TargetVersion, 'python' | 'about'> & { about?: string } | undefined, aliases: string[], ctx: Context, label: string): Promise<Target> {
  const offer = key ? base.decl.versions?.offers[key] : undefined;
  if (key && !offer) throw new UserError(`Target "${base.decl.name}" declares the default version ${key}, which it does not offer.`, 'Fix `versions.default` in its target.json.');
  const dir = offer?.overlay ? syncVersionFolder(base.dir, offer.overlay, path.join(versionsRoot(ctx.targetsDir), label)) : base.dir;
  const about = version?.about ?? offer?.about ?? base.decl.title;
  const why = await cannotRun(name, offer?.python, offer?.about ?? about, ctx);
  return {
    dir,
    decl: { ...base.decl, name, ...(offer?.database && { database: offer.database }) },
    ...(version && { version: { ...version, about, ...(offer?.python && { python: offer.python }) } }),
    ...(aliases.length && { aliases }),
    ...(why && { cannotRun: why }),
  };
}

async function resolveOne(all: Target[], text: string, ctx: Context): Promise<Target> {
  const ref = parseTargetRef(text);
  const base = all.find((t) => t.decl.name === ref.family);
  if (!base) {
    throw new UserError(`Unknown target "${ref.family}".`, `--targets takes a comma-separated list of: ${all.map((t) => t.decl.name).join(', ')}, each optionally @version (see \`npm run bench -- list\`).`);
  }
  const folder = path.basename(base.dir);
  const chosen = defaultVersion(base, ctx.pythons);
  if (!ref.version) {
    if (!chosen) return base;
    return build(base, chosen, base.decl.name, { key: chosen, kind: 'offered', isDefault: true }, [`${base.decl.name}@${chosen}`], ctx, `${folder}@${chosen}`);
  }
  if (base.decl.versions?.offers[ref.version]) {
    const isDefault = ref.version === chosen;
    return build(base, ref.version, text, { key: ref.version, kind: 'offered', isDefault }, isDefault ? [base.decl.name] : [], ctx, `${folder}@${ref.version}`);
  }
  const revision = await resolveRevision(ctx.targetsDir, ref.version);
  if (!revision) {
    const offered = offeredVersions(base);
    throw new UserError(
      `${text}: "${ref.version}" is neither a version ${ref.family} offers${offered.length ? ` (${offered.join(', ')})` : ' (it offers none)'} nor a git revision of this repository.`,
      `Use one of its versions, or a branch, tag or commit (e.g. ${ref.family}@main, ${ref.family}@HEAD~1).`,
    );
  }
  // The target as committed at the revision: its own declaration and files, its own default version.
  const folderAt = path.join(await extractRevision(ctx.targetsDir, revision), ref.family);
  let at: Target;
  try {
    at = loadTarget(folderAt);
  } catch (error) {
    throw new UserError(`${text}: target "${ref.family}" cannot be read at ${revision.commit.slice(0, 12)} (${(error as Error).message})`, 'Choose a revision where targets/<name>/target.json exists and is valid for this harness.');
  }
  const key = defaultVersion(at, ctx.pythons);
  return build(at, key, text, { key: ref.version, kind: 'revision', commit: revision.commit, about: revision.subject, isDefault: false }, [], ctx, `${folder}@git-${revision.commit.slice(0, 12)}${key ? `-${key}` : ''}`);
}

/** The run's targets, in the order named; a name given twice is run once. */
export async function resolveTargets(all: Target[], names: string[], runtime: PythonSupplier, others: PythonSupplier[], targetsDir = TARGETS_DIR): Promise<Target[]> {
  const ctx: Context = { runtime, others, targetsDir, pythons: await runtime.pythons() };
  const out: Target[] = [];
  for (const name of [...new Set(names)]) out.push(await resolveOne(all, name, ctx));
  return out;
}
