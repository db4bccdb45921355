// A claim names its targets as the article does (`node`) or by version (`node@24`); a run names each
// target once and lists its other names as aliases. The claims find a run's target by either, the
// rounds get the run's own names back, and results from before versions read as they always did.
import { describe, expect, it } from 'vitest';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { claimsResting, openClaims, restingTargets } from '../../harness/claims/open.ts';
import { resolveAmong, resolveInRun, runHas } from '../../harness/claims/target-names.ts';
import { CLAIMS } from '../../scenarios/claims.ts';
import { fakeResults } from '../fixtures/results.ts';
import { versionedInfo, versionedRun } from '../fixtures/versioned-results.ts';

/** A matrix run: node@24 (the default, so also `node`), node@25, and django@6.1 (the default, so also `django`). */
const matrix = () =>
  versionedRun(
    [versionedInfo('node@24', { isDefault: true, aliases: ['node'] }), versionedInfo('node@25'), versionedInfo('django@6.1', { isDefault: true, aliases: ['django'], versions: { django: '6.1.3', python: '3.13.5' } })],
    { 'node@24': 1400, 'node@25': 1500, 'django@6.1': 1000 },
  );

/** A default run: bare `node` is Node.js 24 (also `node@24`), bare `django` is 6.0 (also `django@6.0`). */
const bare = () =>
  versionedRun([versionedInfo('node', { aliases: ['node@24'] }), versionedInfo('django', { aliases: ['django@6.0'] })], { node: 1400, django: 1000 });

describe('a claim\'s target names in a run', () => {
  it('means the exact name first, then the target whose aliases hold it', () => {
    const run = matrix();
    expect(resolveInRun(run, 'node@24')).toBe('node@24');
    expect(resolveInRun(run, 'node')).toBe('node@24');
    expect(resolveInRun(run, 'django')).toBe('django@6.1');
    expect(resolveInRun(run, 'node@26')).toBeUndefined();
    expect(runHas(run, 'node')).toBe(true);
    expect(resolveInRun(bare(), 'node@24')).toBe('node');
    // An exact name wins over an alias of another target.
    expect(resolveAmong([{ name: 'node@24', aliases: ['node'] }, 'node'], 'node')).toBe('node');
    // Plain names (results before versions) mean themselves only.
    expect(resolveAmong(['node', 'django'], 'node@24')).toBeUndefined();
    expect(resolveAmong([{ decl: { name: 'node@24' }, aliases: ['node'] }], 'node')).toBe('node@24');
  });

  it('judges the article\'s node/django claims on a matrix run\'s default versions, naming the run\'s targets', () => {
    const v = evaluateClaims(matrix()).find((x) => x.claim.id === 'json-throughput')!;
    expect(v).toMatchObject({ verdict: 'supported', ratio: { basis: 'paired', n: 12 } });
    expect(v.ratio!.value).toBeCloseTo(1.4, 1);
    expect(v.numerator!.target).toBe('node@24');
    expect(v.denominator!.target).toBe('django@6.1');
    expect(v.source).toBe('results.json: json/node@24 and json/django@6.1');
    // A versioned side names the versions its server reported.
    expect(v.denominator!.detail).toMatch(/^django-server; django 6\.1\.3, python 3\.13\.5; /);
  });

  it('judges a claim naming node@24 on a run whose bare node is 24', () => {
    const v = evaluateClaims(bare()).find((x) => x.claim.id === 'article-table-json')!;
    expect(v).toMatchObject({ verdict: 'supported', numerator: { target: 'node' }, denominator: { target: 'django' } });
  });

  it('shows a beside entry where its targets ran under another name', () => {
    const run = matrix();
    run.targets['django-wsgi@6.1'] = { ...versionedInfo('django-wsgi@6.1', { isDefault: true, aliases: ['django-wsgi'] }), server: 'gunicorn' };
    versionedRun([], { 'django-wsgi@6.1': 1300 }, 'json', run);
    const ids = evaluateClaims(run).map((v) => v.claim.id);
    expect(ids).toContain('json-throughput:node/django-wsgi');
  });

  it('lets the rounds count a claim as resting where its targets answer to aliases, and hands back the run\'s names', () => {
    const run = matrix();
    // Plain names, as the run's executor passes them: their aliases come from the results.
    const open = openClaims({ ...run, measurements: run.measurements.map((m) => ({ ...m, result: { ...(m.result as object), trials: (m.result as { trials: unknown[] }).trials.slice(0, 3) } })) }, 'json', ['node@24', 'node@25', 'django@6.1'])!;
    expect(open.ids).toEqual(expect.arrayContaining(['json-throughput', 'node25-over-node24']));
    expect([...open.targets].sort()).toEqual(['django@6.1', 'node@24', 'node@25']);
    // Decided on 12 pairs: nothing open, so the rounds may stop.
    expect(openClaims(run, 'json', ['node@24', 'node@25', 'django@6.1'])!.ids).toEqual([]);
    // The plan passes Targets (their aliases count) or names with aliases.
    const targets = [{ decl: { name: 'node@24' }, aliases: ['node'] }, { decl: { name: 'django@6.1' }, aliases: ['django'] }];
    expect(claimsResting('json', targets).map((c) => c.id)).toEqual(['json-throughput', 'django-matches-node-json']);
    expect([...restingTargets('json', targets)].sort()).toEqual(['django@6.1', 'node@24']);
    // Plain names without aliases: as before versions.
    expect(claimsResting('json', ['node@24', 'django@6.1'])).toEqual([]);
    expect(claimsResting('json', ['node', 'django']).map((c) => c.id)).toEqual(['json-throughput', 'django-matches-node-json']);
  });

  it('reads results from before versions exactly as before', () => {
    const old = fakeResults();
    const now = evaluateClaims(old);
    // Same verdicts as judging the same claims on the same results with the names taken literally.
    expect(now.find((v) => v.claim.id === 'json-throughput')).toMatchObject({ numerator: { target: 'node' }, denominator: { target: 'django' }, source: 'results.json: json/node and json/django' });
    expect(now.find((v) => v.claim.id === 'json-throughput')!.numerator!.detail).toMatch(/^node:http; /);
    expect(claimsResting('json', ['node', 'django', 'broken']).map((c) => c.id)).toEqual(['json-throughput', 'django-matches-node-json']);
    expect(CLAIMS.length).toBeGreaterThan(0);
  });
});
