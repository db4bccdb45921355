import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { describeProfile, loadShapeFor, parseConfidence, parseConnections, parseDuration, parsePositiveInt, PROFILES } from '../../harness/config.ts';
import { profilesBlock, PROFILES_END, PROFILES_START } from '../../harness/tools/readme-profiles.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import { UserError } from '../../harness/errors.ts';
import { describeSharing, parseCpuList, planCpus } from '../../harness/runtime/cpus.ts';
import { resolveExecutable, substitute } from '../../harness/runtime/prepare.ts';

describe('flag parsing', () => {
  it('reads connection lists and refuses bad ones with the fix', () => {
    expect(parseConnections('16, 64,256')).toEqual([16, 64, 256]);
    for (const bad of ['', '16,x', '0', '-4', '1.5', '20000']) {
      expect(() => parseConnections(bad)).toThrow(UserError);
    }
    expect(() => parseConnections('16,x')).toThrow(/"x" is not a whole number/);
  });

  it('reads durations in s, ms and m', () => {
    expect(parseDuration('15', '--duration')).toBe(15);
    expect(parseDuration('1.5s', '--duration')).toBe(1.5);
    expect(parseDuration('500ms', '--duration')).toBe(0.5);
    expect(parseDuration('2m', '--duration')).toBe(120);
    expect(() => parseDuration('0', '--duration')).toThrow(/not a duration/);
    expect(() => parseDuration('soon', '--duration')).toThrow(/--duration: "soon"/);
  });

  it('reads positive integers', () => {
    expect(parsePositiveInt('3', '--trials')).toBe(3);
    expect(() => parsePositiveInt('0', '--trials')).toThrow(/--trials/);
    expect(() => parsePositiveInt('2.5', '--trials')).toThrow(/--trials/);
  });

  it('reads confidence levels as a fraction or a percentage, and refuses 0, 1 and beyond', () => {
    expect(parseConfidence('95%')).toBe(0.95);
    expect(parseConfidence('0.99')).toBe(0.99);
    expect(parseConfidence('90')).toBe(0.9);
    for (const bad of ['0', '1', '100%', '150', 'high', '-5']) expect(() => parseConfidence(bad)).toThrow(/--confidence/);
  });

  it('applies overrides on top of a profile', () => {
    expect(loadShapeFor('full', { trials: 2 })).toEqual({ ...PROFILES.full, trials: 2 });
    expect(loadShapeFor('quick', {}).connections).toEqual(PROFILES.quick.connections);
    expect(loadShapeFor('quick', { maxRounds: 12, budgetS: 20, confidence: 0.99 })).toMatchObject({ claimRounds: { max: 12, budgetS: 20 }, confidence: 0.99 });
  });
});

describe('profiles in words', () => {
  it('take every figure from the profile', () => {
    const text = describeProfile({ ...PROFILES.quick, durationS: 7, trials: 4, claimRounds: { max: 11, budgetS: 33 }, confidence: 0.99 });
    expect(text).toMatch(/trials of 7 s .* at least 4 rounds; claim rounds go on while a claim is undecided at 99\.0% \(anytime-valid: bounded after 13 pairs at the earliest\), up to 11 rounds or 33 s per scenario/);
    expect(describeProfile(PROFILES.full)).toMatch(/^a sweep over 16\.\.512 connections \(3 rounds per level\), then claim rounds at each target's best level/);
  });

  it('README shows them as the profiles are now (npm run readme-profiles writes the block)', () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf(PROFILES_START), readme.indexOf(PROFILES_END) + PROFILES_END.length);
    expect(block).toBe(profilesBlock());
  });
});

describe('CPU plans', () => {
  it('parses CPU lists and ranges', () => {
    expect(parseCpuList('0,2-3', '--target-cpus')).toEqual([0, 2, 3]);
    expect(() => parseCpuList('a', '--target-cpus')).toThrow(/"a" is not a CPU/);
    expect(() => parseCpuList('3-1', '--target-cpus')).toThrow(/backwards/);
  });

  it('splits the machine into disjoint halves by default', () => {
    // On 2 cores the services and the harness share the loader's CPU; the target has its own.
    expect(planCpus(2)).toEqual({ loaderCpus: [0], targetCpus: [1], serviceCpus: [0], harnessCpus: [0] });
    // On 4+ cores the services get a CPU of their own from the lower half.
    expect(planCpus(8)).toEqual({ loaderCpus: [0, 1, 2], serviceCpus: [3], targetCpus: [4, 5, 6, 7], harnessCpus: [0, 1, 2] });
  });

  it('gives the loader what the target does not take', () => {
    expect(planCpus(4, [3])).toEqual({ targetCpus: [3], loaderCpus: [0, 1], serviceCpus: [2], harnessCpus: [0, 1] });
    expect(planCpus(4, undefined, [0])).toEqual({ targetCpus: [1, 2, 3], loaderCpus: [0], serviceCpus: [0], harnessCpus: [0] });
    expect(planCpus(4, [3], [0], [1])).toEqual({ targetCpus: [3], loaderCpus: [0], serviceCpus: [1], harnessCpus: [0] });
  });

  it('says what shares a CPU', () => {
    expect(describeSharing(planCpus(2), true)).toEqual(["the harness process runs on the loader's CPUs (0)", "the services share the loader's CPUs (0): a busy database slows the loader too"]);
    expect(describeSharing(planCpus(8), true)).toEqual(["the harness process runs on the loader's CPUs (0,1,2)"]);
    expect(describeSharing(planCpus(1, [0], [0]), false)[0]).toMatch(/the target shares CPUs with the loader/);
  });

  it('refuses CPUs that do not exist and a single-CPU machine', () => {
    expect(() => planCpus(2, [5])).toThrow(/CPU 5 does not exist/);
    expect(() => planCpus(1)).toThrow(/1 CPU/);
    expect(planCpus(1, [0], [0])).toMatchObject({ targetCpus: [0], loaderCpus: [0] });
  });
});

describe('declaration commands', () => {
  it('substitutes known placeholders and leaves unknown ones visible', () => {
    expect(substitute(['--port', '{port}', '{workers}x', '{nope}'], { port: '80', workers: '2' })).toEqual(['--port', '80', '2x', '{nope}']);
  });

  it('resolves relative executables in the target folder only', () => {
    expect(resolveExecutable('/t', '.venv/bin/uvicorn')).toBe('/t/.venv/bin/uvicorn');
    expect(resolveExecutable('/t', 'npm')).toBe('npm');
    expect(resolveExecutable('/t', '/usr/bin/env')).toBe('/usr/bin/env');
  });
});
