import { describe, expect, it } from 'vitest';
import { evaluateClaims, judge, type Side } from '../../harness/claims/evaluate.ts';
import { mannWhitney, ratioOfMedians } from '../../harness/stats/compare.ts';
import { seededRandom } from '../../harness/stats/estimate.ts';
import { CLAIMS } from '../../scenarios/claims.ts';
import { fakeLifecycle, fakeResults, fakeTrial } from '../fixtures/results.ts';
import { summarizeTrials } from '../../harness/stats/summarize.ts';
import type { RunResults } from '../../harness/types.ts';

const normal = (n: number, mu: number, sigma: number, seed: number) => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
};

describe('ratio of medians', () => {
  it('covers the true ratio about 95% of the time', () => {
    let covered = 0;
    for (let i = 0; i < 150; i++) {
      const { ci95 } = ratioOfMedians(normal(15, 2000, 100, i * 2 + 1), normal(15, 1000, 50, i * 2 + 2), 600, i + 1);
      if (ci95[0] <= 2 && 2 <= ci95[1]) covered++;
    }
    expect(covered / 150).toBeGreaterThan(0.85);
  });

  it('is significant only when the interval excludes 1', () => {
    expect(ratioOfMedians([110, 111, 112, 109, 110], [100, 101, 99, 100, 100]).significant).toBe(true);
    expect(ratioOfMedians([100, 130, 80, 110, 95], [105, 90, 120, 100, 98]).significant).toBe(false);
  });
});

describe('Mann-Whitney U', () => {
  it('finds no difference between samples of one distribution and a clear one between shifted ones', () => {
    expect(mannWhitney(normal(30, 100, 10, 1), normal(30, 100, 10, 2)).p).toBeGreaterThan(0.05);
    expect(mannWhitney(normal(30, 100, 10, 3), normal(30, 120, 10, 4)).p).toBeLessThan(0.001);
  });

  it('gives U for a textbook case', () => {
    // Every value of a is below every value of b: U = 0.
    expect(mannWhitney([1, 2, 3], [4, 5, 6]).u).toBe(0);
  });
});

const side = (target: string, samples: number[], lowerBound = false): Side => ({ target, samples, value: samples[0]!, unit: 'req/s', detail: '', lowerBound });
const claim = CLAIMS.find((c) => c.id === 'json-throughput')!; // node/django in 1.23-1.68

describe('judging a claim', () => {
  it('supports a ratio whose interval lies inside the band', () => {
    expect(judge(claim, side('node', [140, 141, 142, 139]), side('django', [100, 100, 101, 99])).verdict).toBe('supported');
  });

  it('refutes a ratio whose interval lies outside the band', () => {
    const j = judge(claim, side('node', [3000, 3100, 2900]), side('django', [100, 101, 99]));
    expect(j.verdict).toBe('refuted');
    expect(j.reason).toMatch(/node\/django = 30\.0 .* against the article's 1\.23-1\.68/);
  });

  it('calls a ratio too noisy when its interval crosses the band edge', () => {
    const j = judge(claim, side('node', [100, 200, 150, 120, 180]), side('django', [100, 101, 99, 100, 100]));
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/^too noisy/);
  });

  it('keeps a loader-bound numerator inconclusive unless even its lower bound is above the band', () => {
    expect(judge(claim, side('node', [140, 141, 142], true), side('django', [100, 100, 101])).verdict).toBe('inconclusive');
    expect(judge(claim, side('node', [140, 141, 142], true), side('django', [100, 100, 101])).reason).toMatch(/node is loader-bound/);
    const above = judge(claim, side('node', [3000, 3010, 2990], true), side('django', [100, 100, 101]));
    expect(above.verdict).toBe('refuted');
    expect(above.reason).toMatch(/even higher/);
  });
});

describe('evaluating the claims of a run', () => {
  const withLifecycle = (): RunResults => {
    const r = fakeResults();
    r.measurements.push(...fakeLifecycle('node', [70, 75, 80, 72, 78], 40, 80e6, 75e6), ...fakeLifecycle('django', [170, 180, 190, 175, 185], 50, 300e6, 120e6));
    return r;
  };

  it('gives every claim a verdict, with "not measured" for scenarios that did not run', () => {
    const verdicts = evaluateClaims(withLifecycle());
    expect(verdicts.map((v) => v.claim.id)).toEqual(CLAIMS.map((c) => c.id));
    const by = Object.fromEntries(verdicts.map((v) => [v.claim.id, v]));
    expect(by['db-ops']).toMatchObject({ verdict: 'inconclusive', reason: 'not measured: the `db` scenario did not run' });
    expect(by['websocket-users']!.reason).toMatch(/^not measured/);
    expect(by['image-size']).toMatchObject({ verdict: 'supported' }); // 300/80 = 3.75
    expect(by['startup']!.verdict).toBe('supported'); // 180/75 = 2.4
    expect(by['memory']).toMatchObject({ verdict: 'inconclusive', reason: 'not measured: django has no memory readings at 128 connections' });
    // The fixture's node trials at its best level (128) are loader-bound, and even so node/django >> 1.68.
    expect(by['json-throughput']).toMatchObject({ verdict: 'refuted' });
    expect(by['deno-beside-node']!.reason).toMatch(/^not measured: deno was not measured/);
    expect(by['startup']!.machine).toContain('Test CPU, 2 cores');
  });

  it('judges memory on the peak of every json trial at the run\'s highest level, the same for both targets', () => {
    const r = fakeResults();
    const mib = (x: number) => x * 2 ** 20;
    const withPeaks = (target: string, peaks: number[]) => {
      const m = r.measurements.find((x) => x.target === target && x.scenario === 'json')!;
      m.trials = [...m.trials.filter((t) => t.connections !== 128), ...peaks.map((p, i) => fakeTrial(128, 900, { trial: i + 1, target: { rssBytesPeak: mib(p), rssBytesMean: mib(p - 5), cpuPct: 99 } }))];
      m.summary = summarizeTrials(m.trials);
    };
    withPeaks('node', [79, 80, 81]);
    withPeaks('django', [99, 100, 101]);
    const memory = () => evaluateClaims(r).find((v) => v.claim.id === 'memory')!;
    expect(memory()).toMatchObject({ verdict: 'supported', numerator: { samples: [mib(79), mib(80), mib(81)] } }); // 80/100
    expect(memory().numerator!.detail).toBe('peak per trial under the json load at 128 connections, 3 trials, process-tree RSS, 1 worker(s)');
    withPeaks('node', [99, 100, 101]);
    expect(memory().verdict).toBe('refuted'); // 100/100
  });

  it('does not judge a target that was invalid', () => {
    const r = withLifecycle();
    const node = r.measurements.find((m) => m.target === 'node' && m.scenario === 'json')!;
    Object.assign(node, { status: 'invalid', error: 'contract check failed: body', trials: [], summary: summarizeTrials([]) });
    const v = evaluateClaims(r).find((x) => x.claim.id === 'json-throughput')!;
    expect(v).toMatchObject({ verdict: 'inconclusive' });
    expect(v.reason).toBe('not measured: node was invalid: contract check failed: body');
  });

  it('is a pure function of the results', () => {
    const r = withLifecycle();
    r.measurements.push({ ...r.measurements[0]!, target: 'deno', trials: [fakeTrial(16, 31000)], summary: summarizeTrials([fakeTrial(16, 31000)]) });
    expect(JSON.stringify(evaluateClaims(r))).toBe(JSON.stringify(evaluateClaims(structuredClone(r))));
  });
});
