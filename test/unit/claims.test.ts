import { describe, expect, it } from 'vitest';
import { claimRatio, evaluateClaims, judge } from '../../harness/claims/evaluate.ts';
import type { Figure } from '../../harness/types.ts';
import { CLAIMS, withBeside } from '../../scenarios/claims.ts';
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

/** n values around `center`, within ±1%, in a fixed order. */
const around = (center: number, n = 12) => Array.from({ length: n }, (_, i) => center * (1 + ((i * 7) % 5 - 2) / 200));

describe('the ratio behind a claim', () => {
  it('is the median of the ratios taken pair by pair, so drift shared by a pair cancels', () => {
    // The machine slows down 2x over the rounds; each pair was measured under the same conditions.
    const den = Array.from({ length: 12 }, (_, i) => 100 + 25 * i);
    const r = claimRatio(figure(den.map((d) => d * 1.4)), figure(den));
    expect(r.basis).toBe('paired');
    expect(r.value).toBeCloseTo(1.4, 10);
    // An anytime-valid interval (a confidence sequence), at the confidence asked for.
    expect(r.ci).toMatchObject({ lo: expect.closeTo(1.4, 10), hi: expect.closeTo(1.4, 10), method: 'confidence-sequence', level: 0.95 });
    expect(r.pairs.map((p) => p.key).slice(0, 3)).toEqual(['round 1', 'round 2', 'round 3']);
    expect(claimRatio(figure(den.map((d) => d * 1.4)), figure(den), 0.99).ci.level).toBe(0.99);
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
    const j = judge(claim, figure(around(140)), figure(around(100).reverse()));
    expect(j.verdict).toBe('supported');
    expect(j.reason).toMatch(/^node\/django = 1\.40 \(95\.0% anytime-valid interval 1\.\d\d-1\.\d\d, median of 12 paired ratios\) against the article's 1\.23-1\.68$/);
  });

  it('refutes a ratio whose interval lies outside the band', () => {
    const j = judge(claim, figure(around(3000)), figure(around(100)));
    expect(j.verdict).toBe('refuted');
    expect(j.reason).toMatch(/node\/django = 30\.0 .* against the article's 1\.23-1\.68/);
  });

  it('decides nothing before the interval is bounded on both sides, however far the ratios are from the band', () => {
    // 9 pairs at 30x: a fixed-n interval of 9 values would claim 99.6%, but looking after every round needs more.
    const j = judge(claim, figure(around(3000, 9)), figure(around(100, 9)));
    expect(j.verdict).toBe('inconclusive');
    expect(j.cause).toBe('noise');
    expect(j.reason).toMatch(/^too few pairs: .*needs at least 10 pairs/);
    expect(j.ratio.ci.hi).toBe(Infinity);
    expect(judge(claim, figure(around(3000, 10)), figure(around(100, 10))).verdict).toBe('refuted');
  });

  it('gives no verdict on one pair', () => {
    const j = judge(claim, figure([3000]), figure([100]));
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/^too few pairs/);
  });

  it('calls a ratio too noisy when its interval crosses the band edge', () => {
    const noisy = [100, 200, 150, 120, 180, 160, 110, 190, 140, 170, 130, 150];
    const j = judge(claim, figure(noisy), figure(around(100)));
    expect(j.verdict).toBe('inconclusive');
    expect(j.reason).toMatch(/^too noisy/);
  });

  describe('loader-bound figures (lower bounds only)', () => {
    const inside = around(140);
    const django = around(100);
    it('keeps a loader-bound numerator inconclusive unless even its lower bound is above the band', () => {
      const j = judge(claim, figure(inside, true), figure(django));
      expect(j.verdict).toBe('inconclusive');
      expect(j.cause).toBe('limit');
      expect(j.reason).toMatch(/^node is loader-bound/);
      const above = judge(claim, figure(around(3000), true), figure(django));
      expect(above.verdict).toBe('refuted');
      expect(above.reason).toMatch(/even higher/);
    });

    it('keeps a loader-bound denominator inconclusive unless the ratio is already below the band', () => {
      const j = judge(claim, figure(inside), figure(django, true));
      expect(j.verdict).toBe('inconclusive');
      expect(j.reason).toMatch(/^django is loader-bound/);
      // node/django = 1.0 < 1.23, and django's true figure is higher still, so the ratio is lower still.
      const below = judge(claim, figure(around(100)), figure(django, true));
      expect(below.verdict).toBe('refuted');
      expect(below.reason).toMatch(/even lower/);
    });

    it('never judges when both sides are loader-bound, even far outside the band', () => {
      const j = judge(claim, figure(around(3000), true), figure(django, true));
      expect(j.verdict).toBe('inconclusive');
      expect(j.reason).toMatch(/^node is loader-bound and django is loader-bound/);
    });

    it('names the limit when both sides stopped at the same one: the machine decides nothing', () => {
      const ceiling = (values: number[]): Figure => ({ ...figure(values, true), limit: "the run's ceiling of 1,000 clients" });
      const j = judge(claim, ceiling(around(1000)), ceiling(around(1000)));
      expect(j).toMatchObject({ verdict: 'inconclusive', cause: 'limit' });
      expect(j.reason).toMatch(/^both sides stopped at the run's ceiling of 1,000 clients, a limit of this run and machine, not of the frameworks/);
    });
  });
});

describe('the loader\'s floor', () => {
  const latency = CLAIMS.find((c) => c.id === 'websocket-latency')!;
  const withFloor = (values: number[], floor: number): Figure => ({ ...figure(values), unit: 'ms', floor: { value: floor, detail: 'the same load against a reference echo server' } });
  it('decides nothing when both sides are within reach of the floor measured against a reference server', () => {
    const j = judge(latency, withFloor(around(0.3), 0.2), withFloor(around(0.38), 0.2));
    expect(j).toMatchObject({ verdict: 'inconclusive', cause: 'limit' });
    expect(j.reason).toMatch(/^both sides are within 2x of the loader's own floor \(the same load against a reference echo server: 0\.20 ms\)/);
  });
  it('judges as usual once one side is clear of it', () => {
    expect(judge(latency, withFloor(around(0.3), 0.2), withFloor(around(2), 0.2)).verdict).toBe('supported');
    expect(judge(latency, figure(around(0.3)), figure(around(0.38))).verdict).toBe('supported'); // no floor measured: nothing to say
  });
});

describe('evaluating the claims of a run', () => {
  /** Every claim's id, with the beside rows that show whatever targets ran (other scenarios of the same targets). */
  // A beside entry shows where its targets ran: one of other scenarios (a key), or one of node and django alone.
  const allIds = () => withBeside(CLAIMS).filter((c) => !c.besideOf || c.besideKey || [c.numerator, c.denominator].every((t) => t === 'node' || t === 'django')).map((c) => c.id);
  const withLifecycle = (): RunResults => {
    const r = fakeResults();
    r.measurements.push(...fakeLifecycle('node', around(75), 40, 80e6, 75e6), ...fakeLifecycle('django', around(180).reverse(), 50, 300e6, 120e6));
    return r;
  };

  it('gives every claim a verdict, with "not measured" for scenarios that did not run', () => {
    const verdicts = evaluateClaims(withLifecycle());
    expect(verdicts.map((v) => v.claim.id)).toEqual(allIds());
    const by = Object.fromEntries(verdicts.map((v) => [v.claim.id, v]));
    expect(by['db-ops']).toMatchObject({ verdict: 'inconclusive', reason: 'not measured: the `db` scenario did not run' });
    expect(by['websocket-users']!.reason).toMatch(/^not measured/);
    expect(by['image-size']).toMatchObject({ verdict: 'supported', ratio: { basis: 'exact', value: 3.75 } }); // 300/80
    expect(by['startup']).toMatchObject({ verdict: 'supported', ratio: { basis: 'paired', n: 12 }, decision: { how: 'decided', pairs: 12, text: 'decided after 12 pairs' } }); // ~180/75
    expect(by['startup']!.ratio!.ci).toMatchObject({ level: 0.95, method: 'confidence-sequence' });
    expect(by['memory']).toMatchObject({ verdict: 'supported', ratio: { basis: 'paired', n: 12 } }); // 80/100 per cycle
    expect(by['db-ops']!.decision).toMatchObject({ how: 'not-measured' });
    expect(by['image-size']!.decision).toMatchObject({ how: 'exact' });
    expect(by['deno-beside-node']!.reason).toMatch(/^not measured: deno was not in this run/);
    expect(by['startup']!.machine).toContain('Test CPU, 2 cores');
    expect(by['startup']!.source).toBe('results.json: startup/django and startup/node');
  });

  it('judges throughput on pairs of trials from the same round', () => {
    const r = fakeResults();
    // node is 1.4x django in every round, while the machine drifts from round to round.
    const drift = [1000, 1500, 800, 1200, 1000, 1400, 900, 1300, 1100, 1000, 1250, 950];
    r.measurements[0] = measurement('node', 'json', httpResult(rounds(64, drift.map((x) => x * 1.4))));
    r.measurements[1] = measurement('django', 'json', httpResult(rounds(64, drift, 10)));
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
      measurement('node', 'db', httpResult(rounds(64, around(1000)))),
      measurement('django', 'db', httpResult(rounds(64, around(100), 10))),
      measurement('django-wsgi', 'db', httpResult(rounds(64, around(1000), 20))),
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
    expect(evaluateClaims(fakeResults()).map((v) => v.claim.id)).toEqual(allIds());
  });

  it('reads the article\'s "Node.js / Deno" column: Deno against Django on the same bands as Node, and deno/node shown, not judged', () => {
    const r = fakeResults();
    r.targets['deno'] = { name: 'deno', title: 'Deno', language: 'javascript', framework: 'Deno', server: 'Deno.serve', baseline: false, versions: {} };
    r.measurements = [
      measurement('node', 'json', httpResult(rounds(64, around(1400)))),
      measurement('django', 'json', httpResult(rounds(64, around(1000), 10))),
      measurement('deno', 'json', httpResult(rounds(64, around(3000), 20))),
    ];
    const by = Object.fromEntries(evaluateClaims(r).map((v) => [v.claim.id, v]));
    expect(by['json-throughput']).toMatchObject({ verdict: 'supported' });
    // deno/django = 3.0, far above the article's 1.23-1.68 for its one column.
    expect(by['json-throughput:deno/django']).toMatchObject({ verdict: 'refuted', claim: { band: [1.23, 1.68], besideOf: 'json-throughput' } });
    expect(by['deno-beside-node']).toMatchObject({ verdict: 'shown', decision: { how: 'shown' } });
    expect(by['deno-beside-node']!.ratio!.value).toBeCloseTo(3000 / 1400, 1);
    expect(by['deno-beside-node']!.reason).toMatch(/shown, not judged/);
    expect(by['startup:django/deno']!.claim).toMatchObject({ band: [1.9, 2.9], numerator: 'django', denominator: 'deno' });
  });

  it('is a pure function of the results', () => {
    const r = withLifecycle();
    expect(JSON.stringify(evaluateClaims(r))).toBe(JSON.stringify(evaluateClaims(structuredClone(r))));
  });
});
