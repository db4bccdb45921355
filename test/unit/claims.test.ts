import { describe, expect, it } from 'vitest';
import { claimRatio, evaluateClaims, judge } from '../../harness/claims/evaluate.ts';
import type { Figure } from '../../harness/types.ts';
import { CLAIMS } from '../../scenarios/claims.ts';
import { fakeLifecycle, fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';
import type { RunResults } from '../../harness/types.ts';

const figure = (values: number[], lowerBound = false, keys = values.map((_, i) => `round ${i + 1}`)): Figure => ({
  samples: values.map((value, i) => ({ value, pairKey: keys[i]! })),
  unit: 'req/s',
  detail: '',
  lowerBound,
  pairable: true,
});
const claim = CLAIMS.find((c) => c.id === 'json-throughput')!; // node/django in 1.23-1.68

describe('the ratio behind a claim', () => {
  it('is the median of the ratios taken pair by pair, so drift shared by a pair cancels', () => {
    // The machine slows down 2x over the rounds; each pair was measured under the same conditions.
    const r = claimRatio(figure([140, 210, 280, 350, 420, 490]), figure([100, 150, 200, 250, 300, 350]));
    expect(r.basis).toBe('paired');
    expect(r.value).toBeCloseTo(1.4, 10);
    expect(r.ci).toMatchObject({ lo: expect.closeTo(1.4, 10), hi: expect.closeTo(1.4, 10), method: 'paired-order-statistic' });
    expect(r.ci.level).toBeCloseTo(0.96875, 10); // n = 6: [min, max] of the pair ratios
    expect(r.pairs.map((p) => p.key)).toEqual(['round 1', 'round 2', 'round 3', 'round 4', 'round 5', 'round 6']);
  });

  it('pairs only samples with the same key, and falls back to independent samples when none match', () => {
    expect(claimRatio(figure([100, 200], false, ['round 1', 'round 2']), figure([50, 100], false, ['round 2', 'round 3'])).pairs).toEqual([{ key: 'round 2', numerator: 200, denominator: 50, ratio: 4 }]);
    const unpaired = claimRatio(figure([100, 101, 102, 99], false, ['a', 'b', 'c', 'd']), figure([50, 51, 49, 50], false, ['w', 'x', 'y', 'z']));
    expect(unpaired.basis).toBe('unpaired');
    expect(unpaired.ci.method).toBe('mann-whitney-ratio');
  });

  it('is exact for exact figures', () => {
    const r = claimRatio({ ...figure([300]), exact: true }, { ...figure([80]), exact: true });
    expect(r).toMatchObject({ basis: 'exact', value: 3.75, ci: { lo: 3.75, hi: 3.75, level: 1, method: 'exact' } });
  });
});

describe('judging a claim', () => {
  it('supports a ratio whose interval lies inside the band, and says its level', () => {
    const j = judge(claim, figure([140, 141, 142, 139, 140, 141]), figure([100, 100, 101, 99, 100, 100]));
    expect(j.verdict).toBe('supported');
    expect(j.reason).toMatch(/^node\/django = 1\.40 \(96\.9% interval 1\.\d\d-1\.\d\d, median of 6 paired ratios\) against the article's 1\.23-1\.68$/);
  });

  it('refutes a ratio whose interval lies outside the band', () => {
    const j = judge(claim, figure([3000, 3100, 2900, 3000, 3050, 2950]), figure([100, 101, 99, 100, 100, 100]));
    expect(j.verdict).toBe('refuted');
    expect(j.reason).toMatch(/node\/django = 30\.0 .* against the article's 1\.23-1\.68/);
  });

  it('says when a verdict rests on an interval below 90% confidence', () => {
    const j = judge(claim, figure([3000, 3100, 2900]), figure([100, 101, 99]));
    expect(j.verdict).toBe('refuted');
    expect(j.ratio.ci.level).toBe(0.75);
    expect(j.reason).toMatch(/the interval has only 75\.0% confidence/);
  });

  it('gives no verdict on one sample per target: there is no interval', () => {
    const j = judge(claim, figure([3000]), figure([100]));
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/^one independent sample per target/);
  });

  it('calls a ratio too noisy when its interval crosses the band edge', () => {
    const j = judge(claim, figure([100, 200, 150, 120, 180, 160]), figure([100, 101, 99, 100, 100, 100]));
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/^too noisy/);
  });

  describe('loader-bound figures (lower bounds only)', () => {
    const inside = [140, 141, 142, 139, 140, 141];
    const django = [100, 100, 101, 99, 100, 100];
    it('keeps a loader-bound numerator inconclusive unless even its lower bound is above the band', () => {
      const j = judge(claim, figure(inside, true), figure(django));
      expect(j.verdict).toBe('inconclusive');
      expect(j.reason).toMatch(/^node is loader-bound/);
      const above = judge(claim, figure([3000, 3010, 2990, 3000, 3005, 2995], true), figure(django));
      expect(above.verdict).toBe('refuted');
      expect(above.reason).toMatch(/even higher/);
    });

    it('keeps a loader-bound denominator inconclusive unless the ratio is already below the band', () => {
      const j = judge(claim, figure(inside), figure(django, true));
      expect(j.verdict).toBe('inconclusive');
      expect(j.reason).toMatch(/^django is loader-bound/);
      // node/django = 1.0 < 1.23, and django's true figure is higher still, so the ratio is lower still.
      const below = judge(claim, figure([100, 101, 99, 100, 100, 100]), figure(django, true));
      expect(below.verdict).toBe('refuted');
      expect(below.reason).toMatch(/even lower/);
    });

    it('never judges when both sides are loader-bound, even far outside the band', () => {
      const j = judge(claim, figure([3000, 3010, 2990, 3000, 3005, 2995], true), figure(django, true));
      expect(j.verdict).toBe('inconclusive');
      expect(j.reason).toMatch(/^both figures are loader-bound/);
    });
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
    expect(by['image-size']).toMatchObject({ verdict: 'supported', ratio: { basis: 'exact', value: 3.75 } }); // 300/80
    expect(by['startup']).toMatchObject({ verdict: 'supported', ratio: { basis: 'paired', n: 5 } }); // ~180/75
    expect(by['startup']!.ratio!.ci.level).toBeCloseTo(0.9375, 10);
    expect(by['memory']).toMatchObject({ verdict: 'supported', ratio: { basis: 'paired', n: 3 } }); // 80/100 per cycle
    expect(by['deno-beside-node']!.reason).toMatch(/^not measured: deno was not measured/);
    expect(by['startup']!.machine).toContain('Test CPU, 2 cores');
    expect(by['startup']!.source).toBe('results.json: startup/django and startup/node');
  });

  it('judges throughput on pairs of trials from the same round', () => {
    const r = fakeResults();
    // node is 1.4x django in every round, while the machine drifts from round to round.
    r.measurements[0] = measurement('node', 'json', httpResult(rounds(64, [1400, 2100, 1120, 1680, 1400, 1960])));
    r.measurements[1] = measurement('django', 'json', httpResult(rounds(64, [1000, 1500, 800, 1200, 1000, 1400], 10)));
    const v = evaluateClaims(r).find((x) => x.claim.id === 'json-throughput')!;
    expect(v.verdict).toBe('supported');
    expect(v.ratio!.value).toBeCloseTo(1.4, 10);
    expect(v.ratio!.maxGapS).toBe(10);
    // Without pairing (the same samples, not measured side by side), the drift would make the interval useless.
    const unpaired = claimRatio(
      { samples: [1400, 2100, 1120, 1680, 1400, 1960].map((value, i) => ({ value, pairKey: `round ${i + 1}` })), unit: 'req/s', detail: '', lowerBound: false, pairable: false },
      { samples: [1000, 1500, 800, 1200, 1000, 1400].map((value, i) => ({ value, pairKey: `round ${i + 1}` })), unit: 'req/s', detail: '', lowerBound: false, pairable: false },
    );
    expect(unpaired.basis).toBe('unpaired');
    expect(unpaired.ci.hi - unpaired.ci.lo).toBeGreaterThan(0.5);
  });

  it('does not judge a target that was invalid', () => {
    const r = withLifecycle();
    const node = r.measurements.find((m) => m.target === 'node' && m.scenario === 'json')!;
    Object.assign(node, { status: 'invalid', error: 'contract check failed: body', result: undefined });
    const v = evaluateClaims(r).find((x) => x.claim.id === 'json-throughput')!;
    expect(v).toMatchObject({ verdict: 'inconclusive' });
    expect(v.reason).toBe('not measured: node was invalid: contract check failed: body');
  });

  it('shows django-wsgi beside django where it ran, judged on its own pairs, and names each side\'s deployment', () => {
    const r = fakeResults();
    r.targets['django-wsgi'] = { name: 'django-wsgi', title: 'Django (WSGI)', language: 'python', framework: 'Django', server: 'gunicorn (gthread)', baseline: false, versions: {} };
    r.measurements = [
      measurement('node', 'db', httpResult(rounds(64, [1000, 1100, 900, 1000]))),
      measurement('django', 'db', httpResult(rounds(64, [100, 110, 90, 100], 10))),
      measurement('django-wsgi', 'db', httpResult(rounds(64, [1000, 1100, 900, 1000], 20))),
    ];
    const verdicts = evaluateClaims(r);
    const ids = verdicts.map((v) => v.claim.id);
    // Each beside entry follows its claim.
    expect(ids.indexOf('db-ops:node/django-wsgi')).toBe(ids.indexOf('db-ops') + 1);
    const asgi = verdicts.find((v) => v.claim.id === 'db-ops')!;
    const wsgi = verdicts.find((v) => v.claim.id === 'db-ops:node/django-wsgi')!;
    expect(asgi).toMatchObject({ verdict: 'refuted', ratio: { value: 10 } });
    expect(wsgi).toMatchObject({ verdict: 'supported', ratio: { value: 1 }, claim: { besideOf: 'db-ops' } });
    expect(asgi.denominator!.detail).toMatch(/^uvicorn; /);
    expect(wsgi.denominator!.detail).toMatch(/^gunicorn \(gthread\); /);
    // Without django-wsgi in the run, no beside entry is shown.
    expect(evaluateClaims(fakeResults()).map((v) => v.claim.id)).toEqual(CLAIMS.map((c) => c.id));
  });

  it('is a pure function of the results', () => {
    const r = withLifecycle();
    expect(JSON.stringify(evaluateClaims(r))).toBe(JSON.stringify(evaluateClaims(structuredClone(r))));
  });
});
