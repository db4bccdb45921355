// Versions as a dimension: names with versions, matrices, Python ranges, each version's own folder,
// the default a runtime can run, skip reasons that name the runtime that can, and git revisions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { UserError } from '../../harness/errors.ts';
import { loadAllTargets } from '../../harness/targets.ts';
import type { PythonOffer } from '../../harness/types.ts';
import { syncVersionFolder } from '../../harness/versions/materialize.ts';
import { comparePython, inPythonRange, newestInRange } from '../../harness/versions/python-range.ts';
import { expandMatrix, parseTargetRef, parseVersionsMatrix } from '../../harness/versions/refs.ts';
import { resolveTargets, type PythonSupplier } from '../../harness/versions/resolve.ts';
import { requestedNames } from '../../harness/versions/select.ts';
import { FIXTURE_TARGETS } from '../helpers.ts';

const supplier = (name: string, versions: string[]): PythonSupplier => ({ name, pythons: async (): Promise<PythonOffer[]> => versions.map((version) => ({ version, from: `${name}'s ${version}` })) });
const host311 = supplier('local', ['3.11.7']);
const docker = supplier('docker', ['3.14', '3.13', '3.12', '3.11']);

/** A copy of the fixture targets, so that the versions' folders are made outside the repository. */
function fixtureCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-versions-'));
  fs.cpSync(path.join(FIXTURE_TARGETS, 'fixture-versions'), path.join(dir, 'targets/fixture-versions'), { recursive: true });
  fs.cpSync(path.join(FIXTURE_TARGETS, 'fixture-ok'), path.join(dir, 'targets/fixture-ok'), { recursive: true });
  return path.join(dir, 'targets');
}

const read = (dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { version: string };

describe('names and matrices', () => {
  it('splits a name at its first @, so that a revision may hold slashes', () => {
    expect(parseTargetRef('node')).toEqual({ family: 'node' });
    expect(parseTargetRef('node@25')).toEqual({ family: 'node', version: '25' });
    expect(parseTargetRef('node@origin/main')).toEqual({ family: 'node', version: 'origin/main' });
    expect(() => parseTargetRef('node@')).toThrow(/is not a target name/);
  });

  it('reads a matrix from one argument or several, and refuses a malformed one naming the flag', () => {
    expect(parseVersionsMatrix(['node=24,25,26', 'django=4.2,5.2'])).toEqual({ node: ['24', '25', '26'], django: ['4.2', '5.2'] });
    expect(parseVersionsMatrix(['node=24,25 django=6.1'])).toEqual({ node: ['24', '25'], django: ['6.1'] });
    expect(() => parseVersionsMatrix(['node'])).toThrow(/--versions: "node" is not target=versions/);
    expect(() => parseVersionsMatrix(['node=24', 'node=25'])).toThrow(/node is given twice/);
  });

  it('replaces each matrix target by its versions where it stands, keeps the others, and adds unselected ones', () => {
    expect(expandMatrix(['deno', 'django', 'node'], { node: ['24', '25'], django: ['4.2', '6.1'] })).toEqual(['deno', 'django@4.2', 'django@6.1', 'node@24', 'node@25']);
    expect(expandMatrix(['express'], { node: ['25'] })).toEqual(['express', 'node@25']);
    expect(expandMatrix(['node@24', 'node'], { node: ['24', '26'] })).toEqual(['node@24', 'node@26']);
  });

  it('fails before anything starts on an unknown target, listing the known ones', () => {
    const all = loadAllTargets(FIXTURE_TARGETS);
    expect(requestedNames(undefined, { 'fixture-versions': ['1', '2'] }, all)).toContain('fixture-versions@2');
    const error = (() => {
      try {
        requestedNames(['nope@2'], {}, all);
      } catch (e) {
        return e as UserError;
      }
    })();
    expect(error?.message).toBe('Unknown target: "nope".');
    expect(error?.fix).toMatch(/fixture-versions, fixture-wrong.*each optionally @version/);
    expect(() => requestedNames(undefined, { nope: ['1'] }, all)).toThrow(/Unknown target: "nope"/);
  });
});

describe('Python ranges', () => {
  it('compares major.minor and ignores the patch', () => {
    expect(comparePython('3.11.7', '3.12')).toBe(-1);
    expect(comparePython('3.13', '3.13.1')).toBe(0);
    expect(inPythonRange('3.12.1', '>=3.12')).toBe(true);
    expect(inPythonRange('3.11.7', '>=3.12')).toBe(false);
    expect(inPythonRange('3.12', '>=3.8,<3.13')).toBe(true);
    expect(inPythonRange('3.13', '>=3.8,<3.13')).toBe(false);
    expect(inPythonRange('3.13', undefined)).toBe(true);
  });

  it('takes the newest Python within the range', () => {
    const offers = [{ version: '3.11' }, { version: '3.14' }, { version: '3.13' }];
    expect(newestInRange(offers, '>=3.12')?.version).toBe('3.14');
    expect(newestInRange(offers, '>=3.8,<3.13')?.version).toBe('3.11');
    expect(newestInRange(offers, '>=3.99')).toBeNull();
  });
});

describe("a version's own folder", () => {
  it('is the project with the overlay over it; a file gone from both is removed, installed files are kept', () => {
    const targets = fixtureCopy();
    const project = path.join(targets, 'fixture-versions');
    const dest = path.join(targets, '.versions/fixture-versions@2');
    syncVersionFolder(project, 'versions/2', dest);
    expect(read(dest, 'version.json').version).toBe('2');
    expect(read(project, 'version.json').version).toBe('1');
    expect(fs.existsSync(path.join(dest, 'server.mjs'))).toBe(true);
    expect(fs.existsSync(path.join(dest, 'versions'))).toBe(false); // the overlays are not part of a version
    fs.mkdirSync(path.join(dest, 'node_modules/x'), { recursive: true });
    fs.writeFileSync(path.join(dest, 'node_modules/x/index.js'), '');
    fs.writeFileSync(path.join(dest, 'stale.txt'), 'left from before');
    syncVersionFolder(project, 'versions/2', dest);
    expect(fs.existsSync(path.join(dest, 'stale.txt'))).toBe(false);
    expect(fs.existsSync(path.join(dest, 'node_modules/x/index.js'))).toBe(true);
  });
});

describe('resolving versions for a runtime', () => {
  it('gives each version its name, folder and aliases, the default the one this runtime can run', async () => {
    const targets = fixtureCopy();
    const all = loadAllTargets(targets);
    const [bare, one, two, ok] = await resolveTargets(all, ['fixture-versions', 'fixture-versions@1', 'fixture-versions@2', 'fixture-ok'], host311, [docker], targets);
    // The first default (9) needs Python >= 3.99, which no runtime has: the bare name runs 1.
    expect(bare!.decl.name).toBe('fixture-versions');
    expect(bare!.version).toMatchObject({ key: '1', kind: 'offered', isDefault: true });
    expect(bare!.aliases).toEqual(['fixture-versions@1']);
    expect(bare!.dir).toBe(path.join(targets, 'fixture-versions'));
    expect(one!.aliases).toEqual(['fixture-versions']);
    expect(two!.decl.name).toBe('fixture-versions@2');
    expect(two!.version).toMatchObject({ key: '2', isDefault: false, about: 'version two' });
    expect(two!.aliases).toBeUndefined();
    expect(read(two!.dir, 'version.json').version).toBe('2');
    expect(two!.dir).not.toBe(bare!.dir);
    expect(ok!.version).toBeUndefined(); // a target without versions is as it was
    expect(ok!.decl.name).toBe('fixture-ok');
  });

  it('skips a version no Python here can run, and names the runtime that has one', async () => {
    const targets = fixtureCopy();
    const all = loadAllTargets(targets);
    const decl = JSON.parse(fs.readFileSync(path.join(targets, 'fixture-versions/target.json'), 'utf8'));
    decl.versions.offers['9'].python = '>=3.13';
    fs.writeFileSync(path.join(targets, 'fixture-versions/target.json'), JSON.stringify(decl));
    const [nine] = await resolveTargets(loadAllTargets(targets), ['fixture-versions@9'], host311, [docker], targets);
    expect(nine!.cannotRun).toMatch(/fixture-versions@9 \(a version on a Python no runtime has\) needs Python >=3\.13; the local runtime has 3\.11\.7 \(local's 3\.11\.7\); the docker runtime has Python 3\.14 .*--runtime docker/);
    // The bare name now runs 9 where a runtime has its Python, and falls back to 1 where none has.
    const [onDocker] = await resolveTargets(loadAllTargets(targets), ['fixture-versions'], docker, [host311], targets);
    expect(onDocker!.version?.key).toBe('9');
    expect(onDocker!.cannotRun).toBeUndefined();
    const [far] = await resolveTargets(all, ['fixture-versions@9'], host311, [docker], targets);
    expect(far!.cannotRun).toMatch(/needs Python >=3\.99; the local runtime has 3\.11\.7 \(local's 3\.11\.7\)$/);
  });

  it('refuses a version that is neither offered nor a revision, listing what is offered', async () => {
    const targets = fixtureCopy();
    await execa('git', ['init', '-q', path.dirname(targets)]);
    await expect(resolveTargets(loadAllTargets(targets), ['fixture-versions@7'], host311, [], targets)).rejects.toThrow(/"7" is neither a version fixture-versions offers \(1, 2, 9\) nor a git revision/);
  });

  it('prepares a git revision from the folder as committed there, each commit in its own folder', async () => {
    const targets = fixtureCopy();
    const repo = path.dirname(targets);
    const git = (...args: string[]) => execa('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args]);
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'first');
    fs.writeFileSync(path.join(targets, 'fixture-versions/version.json'), '{ "version": "slow", "delayMs": 2 }\n');
    await git('commit', '-q', '-am', 'slow down');
    fs.writeFileSync(path.join(targets, 'fixture-versions/version.json'), '{ "version": "uncommitted" }\n');
    const [before, head, tree] = await resolveTargets(loadAllTargets(targets), ['fixture-versions@HEAD~1', 'fixture-versions@HEAD', 'fixture-versions@1'], host311, [], targets);
    expect(before!.version).toMatchObject({ kind: 'revision', key: 'HEAD~1', isDefault: false });
    expect(before!.version!.about).toBe('first');
    expect(before!.version!.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(head!.version!.about).toBe('slow down');
    expect(read(before!.dir, 'version.json').version).toBe('1');
    expect(read(head!.dir, 'version.json').version).toBe('slow');
    expect(read(tree!.dir, 'version.json').version).toBe('uncommitted'); // an offered version is the working tree's
    expect(before!.dir).not.toBe(head!.dir);
    expect(before!.decl.name).toBe('fixture-versions@HEAD~1');
  });
});
