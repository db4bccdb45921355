// The deploy scenario's pure parts: its options and flags, where an image goes in the registry,
// the report's rows (each figure with its interval, the compressed size beside the bytes), the
// chart, the figure the claims read (cold at the first rate, paired by round), the two claims'
// verdicts on it, and the plan.
import { describe, expect, it } from 'vitest';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { registryPath } from '../../harness/deploy/push.ts';
import type { Figure, RunResults } from '../../harness/types.ts';
import { deployScenario } from '../../scenarios/deploy.ts';
import type { DeployCycle, DeployResult } from '../../scenarios/deploy-kind.ts';
import { deployOptions, rateBits, rateWords } from '../../scenarios/deploy-options.ts';
import { fakeResults, measurement } from '../fixtures/results.ts';

const kind = deployScenario.kind;

/** A result with `rounds` cold deploys at 1gbit taking `totalS(round)` s, plus one of each other rate and case. */
function result(totalS: (round: number) => number, rounds: number, bytes = 80e6): DeployResult {
  const cycle = (round: number, rate: string, kase: DeployCycle['case'], s: number): DeployCycle => ({ round, rate, case: kase, at: new Date(Date.UTC(2026, 11, 5, 10, 0, round)).toISOString(), bytes, pullMs: s * 900, startMs: s * 100, totalMs: s * 1000 });
  return {
    image: 'localhost/bench/node:abc',
    base: 'localhost/bench-local/node:24',
    registryPath: 'bench/node:abc',
    claimRate: '1gbit',
    pullingHost: 'a node made for the run',
    link: { shaping: 'tc tbf', delay: 'no delay added' },
    cycles: [
      ...Array.from({ length: rounds }, (_, i) => cycle(i + 1, '1gbit', 'cold', totalS(i + 1))),
      cycle(1, '1gbit', 'base-present', 1),
      cycle(1, '100mbit', 'cold', 9),
    ],
  };
}

function run(node: DeployResult, django: DeployResult): RunResults {
  const r = fakeResults();
  r.measurements = [measurement('node', 'deploy', node), measurement('django', 'deploy', django)];
  return r;
}

describe('deploy options', () => {
  it('reads rates and cases from flags, naming the flag on bad input', () => {
    const flag = (name: string) => deployOptions.flags!.find((f) => f.name === name)!;
    const o = deployOptions.defaults.quick;
    expect(o).toEqual({ rates: ['1gbit', '100mbit'], cases: ['cold', 'base-present'], delayMs: 0 });
    expect(flag('deploy-rates').apply(o, '100mbit, 10mbit').rates).toEqual(['100mbit', '10mbit']);
    expect(() => flag('deploy-rates').apply(o, '1gbit,fast')).toThrow(/--deploy-rates: "fast" is not a rate/);
    expect(flag('deploy-cases').apply(o, 'cold').cases).toEqual(['cold']);
    expect(() => flag('deploy-cases').apply(o, 'warm')).toThrow(/--deploy-cases: "warm" is not a case/);
    expect(() => flag('deploy-delay').apply(o, '-3')).toThrow(/--deploy-delay: "-3"/);
    expect(() => deployOptions.check!({ ...o, rates: ['1gbit', '1gbit'] })).toThrow(/lists a rate twice/);
    expect(deployOptions.schema.safeParse({ ...o, rates: ['fast'] }).success).toBe(false);
  });

  it('turns rates into bits per second and words', () => {
    expect(rateBits('100mbit')).toBe(1e8);
    expect(rateBits('1gbit')).toBe(1e9);
    expect(rateBits('500kbit')).toBe(5e5);
    expect(rateWords('1gbit')).toBe('1 Gbit/s');
    expect(() => rateBits('1tbit')).toThrow(/not a rate/);
  });

  it('puts an image in the registry under its path without the registry host', () => {
    expect(registryPath('localhost/bench/node:24-abc')).toBe('bench/node:24-abc');
    expect(registryPath('localhost/bench-local/node:24.21.0-slim-trixie')).toBe('bench-local/node:24.21.0-slim-trixie');
    expect(registryPath('docker.io/library/python:3.14-slim')).toBe('library/python:3.14-slim');
    expect(registryPath('localhost/bench/kit')).toBe('bench/kit:latest');
  });
});

describe('the deploy result kind', () => {
  const node = result((r) => 5 + r / 10, 3);
  const django = result((r) => 7 + r / 10, 3, 75e6);

  it('gives a row per target, rate and case, each time with its interval and level', () => {
    const r = run(node, django);
    const section = kind.section(r.measurements, r);
    const [table] = section.tables;
    expect(table!.header).toEqual(['target', 'rate', 'case', 'deploys', 'MB pulled', 'compressed size (image-size)', 'pull', 'interval (level)', 'start', 'interval (level)', 'total', 'interval (level)']);
    expect(table!.rows.map((row) => row.slice(0, 5))).toEqual([
      ['node', '1 Gbit/s', 'cold', '3', '80.0 MB'],
      ['node', '1 Gbit/s', 'base-present', '1', '80.0 MB'],
      ['node', '100 Mbit/s', 'cold', '1', '80.0 MB'],
      ['django', '1 Gbit/s', 'cold', '3', '75.0 MB'],
      ['django', '1 Gbit/s', 'base-present', '1', '75.0 MB'],
      ['django', '100 Mbit/s', 'cold', '1', '75.0 MB'],
    ]);
    // The median of 5.1, 5.2, 5.3 s, and the order-statistic interval of three samples (75%).
    expect(table!.rows[0]!.slice(10)).toEqual(['5.20 s', '5.10 s–5.30 s (75.0%)']);
    expect(table!.rows[2]!.slice(10)).toEqual(['9.00 s', 'no interval (1 sample)']);
    // No image-size measurement in this run: no compressed size to set beside the bytes.
    expect(table!.rows[0]![5]).toBe('n/a');
    expect(section.paragraphs.join(' ')).toMatch(/shares this machine's kernel, disk and CPUs/);
  });

  it('charts every deploy against the rate', () => {
    const r = run(node, django);
    const [chart] = kind.charts(r.measurements, r);
    const values = (chart!.spec as { data: { values: { target: string; mbit: number; s: number; case: string }[] } }).data.values;
    expect(values).toHaveLength(10);
    expect(values.filter((v) => v.mbit === 100).map((v) => [v.target, v.s])).toEqual([
      ['node', 9],
      ['django', 9],
    ]);
  });

  it('gives the claims the cold total at the first rate, paired by round, and compare one series per rate and case', () => {
    const f = kind.figure('total-ms', node, fakeResults()) as Figure;
    expect(f.samples.map((s) => [s.pairKey, s.value])).toEqual([
      ['round 1', 5100],
      ['round 2', 5200],
      ['round 3', 5300],
    ]);
    expect(f.pairable).toBe(true);
    expect(f.detail).toMatch(/^total deploy time, cold at 1 Gbit\/s/);
    expect(kind.figure('total-ms', { ...node, claimRate: '10mbit' }, fakeResults())).toBe('no cold deploy at 10 Mbit/s');
    expect(kind.series(node).map((s) => [s.metric, s.samples.length])).toEqual([
      ['deploy total, 1 Gbit/s, cold', 3],
      ['deploy total, 1 Gbit/s, base-present', 1],
      ['deploy total, 100 Mbit/s, cold', 1],
    ]);
  });
});

describe('the deploy claims', () => {
  const verdicts = (node: DeployResult, django: DeployResult) => Object.fromEntries(evaluateClaims(run(node, django), undefined, { scenario: 'deploy' }).map((v) => [v.claim.id, v]));

  it('refutes "3x faster" when Django deploys in about the time Node does, and supports "in seconds" for both', () => {
    const v = verdicts(
      result((r) => 5 + (r % 3) / 10, 12),
      result((r) => 6 + (r % 4) / 10, 12),
    );
    expect(v['deploy-3x-faster']!.verdict).toBe('refuted');
    expect(v['deploy-3x-faster']!.decision.text).toBe('decided after 12 pairs');
    expect(v['deploy-in-seconds']!.verdict).toBe('supported');
    expect(v['deploy-in-seconds']!.reason).toMatch(/^node's total deploy time = 5\.\d+ s/);
    expect(v['deploy-in-seconds:django/django']!.verdict).toBe('supported');
  });

  it('supports "3x faster" at three times the time, and refutes "in seconds" for deploys of half a minute', () => {
    const v = verdicts(
      result((r) => 10 + (r % 3) / 10, 12),
      result((r) => 30 + (r % 4) / 10, 12),
    );
    expect(v['deploy-3x-faster']!.verdict).toBe('supported');
    expect(v['deploy-in-seconds:django/django']!.verdict).toBe('refuted');
  });

  it('leaves both open with too few deploys for a 95% anytime-valid interval', () => {
    const v = verdicts(
      result(() => 5, 3),
      result(() => 15, 3),
    );
    expect(v['deploy-3x-faster']!.verdict).toBe('inconclusive');
    expect(v['deploy-in-seconds']!.verdict).toBe('inconclusive');
    expect(v['deploy-in-seconds']!.reason).toMatch(/^too few samples/);
  });
});

describe('the deploy plan', () => {
  const load = { trials: 3, durationS: 1, warmupS: 0, connections: [128], confidence: 0.95, claimRounds: { max: 16, budgetS: 60 } } as never;

  it('plans every rate and case in the least rounds, and claim rounds enough for a decision', () => {
    const o = deployOptions.defaults.quick;
    const none = deployScenario.plannedSeconds(load, 'quick', 2, 0, o);
    const claims = deployScenario.plannedSeconds(load, 'quick', 2, 2, o);
    // Four deploys per target and round; more with claims, past the profile's 60 s budget (10 pairs at 95% need 7 more rounds).
    expect(none).toBeGreaterThan(3 * 2 * 4 * 3);
    expect(claims - none).toBeGreaterThan(60);
    // Without the cold case the claims read nothing, and no claim round is planned.
    expect(deployScenario.plannedSeconds(load, 'quick', 2, 2, { ...o, cases: ['base-present'] })).toBe(deployScenario.plannedSeconds(load, 'quick', 2, 0, { ...o, cases: ['base-present'] }));
  });
});
