// The committed reference runs (results/reference-*/): produced by the harness, never edited by
// hand. They must validate against the current schema, and their reports must regenerate to the
// very files committed beside them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readResults } from '../../harness/results/store.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import { bench } from '../helpers.ts';

const RESULTS = path.join(PROJECT_ROOT, 'results');
const references = fs.readdirSync(RESULTS).filter((d) => d.startsWith('reference-') && fs.existsSync(path.join(RESULTS, d, 'results.json')));
/** Replicated-verdict reports (`bench claims` over committed reference runs), each naming its command. */
const replicated = fs.readdirSync(RESULTS).filter((f) => /^reference-.*\.md$/.test(f));

describe('committed reference runs', () => {
  it('exist', () => {
    expect(references.length, 'results/reference-*/results.json: commit a reference run made by the harness from a clean tree').toBeGreaterThan(0);
    expect(replicated.length, 'results/reference-*.md: commit a `bench claims` report over two reference runs of one machine').toBeGreaterThan(0);
  });

  it.each(references)('%s validates and its reports regenerate identically', async (name) => {
    const dir = path.join(RESULTS, name);
    const results = readResults(path.join(dir, 'results.json'));
    expect(results.state).toBe('done');
    // Made by the harness from a clean, committed tree whose commit is in this history.
    expect(results.environment.gitDirty, 'the reference run was measured from a tree with uncommitted changes: commit, then re-make it').toBe(false);
    expect(results.environment.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    const ancestor = () => execFileSync('git', ['merge-base', '--is-ancestor', results.environment.gitCommit!, 'HEAD'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
    expect(ancestor, `commit ${results.environment.gitCommit} is not an ancestor of HEAD`).not.toThrow();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ref-'));
    const r = await bench(['chart', dir, '--out', out]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    for (const file of ['report.md', 'report.html', ...fs.readdirSync(path.join(out, 'charts')).map((f) => `charts/${f}`)]) {
      const committed = path.join(dir, file);
      expect(fs.existsSync(committed), `${file} is committed beside results.json`).toBe(true);
      expect(Buffer.compare(fs.readFileSync(path.join(out, file)), fs.readFileSync(committed)), `${file} regenerates identically`).toBe(0);
    }
  }, 120_000);

  it.each(replicated)('%s regenerates identically from the reference runs it names', async (name) => {
    const text = fs.readFileSync(path.join(RESULTS, name), 'utf8');
    const command = /^Made by `npm run bench -- claims ([^`]+)`/m.exec(text);
    expect(command, 'the report names the `bench claims` command that made it').not.toBeNull();
    const runs = command![1]!.split(' ');
    for (const run of runs) expect(references, `${run} is a committed reference run`).toContain(path.basename(run));
    const r = await bench(['claims', ...runs], { stripFinalNewline: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe(text);
  }, 60_000);
});
