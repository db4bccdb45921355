// The startup decomposition without an engine: the engine's StartedAt parsed to the sub-millisecond,
// set against the wall clock of the create call; then what the startup section and the claim's
// figure make of starts with and without the split (results from before it still read).
import { describe, expect, it } from 'vitest';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { parseEngineTime, splitStart } from '../../harness/docker/start-split.ts';
import type { Figure, Measurement } from '../../harness/types.ts';
import { startupScenario, type StartupResult } from '../../scenarios/startup.ts';
import { fakeResults, measurement } from '../fixtures/results.ts';

describe("the engine's StartedAt", () => {
  it('keeps the nanoseconds that Date.parse would drop, in any offset', () => {
    const whole = Date.parse('2026-12-01T21:49:21Z');
    expect(parseEngineTime('2026-12-01T21:49:21.123456789Z')).toBeCloseTo(whole + 123.456789, 6);
    expect(parseEngineTime('2026-12-01T22:49:21.5001+01:00')).toBeCloseTo(whole + 500.1, 6);
    expect(parseEngineTime('2026-12-01T21:49:21.120Z')).toBeCloseTo(whole + 120, 6);
  });

  it('is refused when coarser than a millisecond, never set, or not a time', () => {
    expect(parseEngineTime('2026-12-01T21:49:21Z')).toBeNull();
    expect(parseEngineTime('2026-12-01T21:49:21.12Z')).toBeNull();
    expect(parseEngineTime('0001-01-01T00:00:00Z')).toBeNull(); // Go's zero time: not started
    expect(parseEngineTime('yesterday')).toBeNull();
  });
});

describe('splitting a start at StartedAt', () => {
  const created = Date.parse('2026-12-01T21:49:21Z');
  it('gives the engine create-to-StartedAt and the application the rest', () => {
    const split = splitStart({ createdAtMs: created, startedAt: '2026-12-01T21:49:21.040250000Z', readyMs: 140 })!;
    expect(split.engineMs).toBeCloseTo(40.25, 6);
    expect(split.appMs).toBeCloseTo(99.75, 6);
  });

  it("tolerates the create call's whole-ms clock, and refuses a clock that is not this host's", () => {
    expect(splitStart({ createdAtMs: created + 0.5, startedAt: '2026-12-01T21:49:21.000100Z', readyMs: 50 })).toEqual({ engineMs: 0, appMs: 50 });
    expect(splitStart({ createdAtMs: created + 500, startedAt: '2026-12-01T21:49:21.000100Z', readyMs: 50 })).toBeNull();
    expect(splitStart({ createdAtMs: created, startedAt: '2026-12-01T21:49:22.000100Z', readyMs: 50 })).toBeNull();
    expect(splitStart({ createdAtMs: created, startedAt: undefined, readyMs: 50 })).toBeNull();
  });
});

const containerStarts = (split: boolean): StartupResult => ({
  mode: 'container',
  pollIntervalMs: 5,
  warmupRuns: 1,
  schedule: 'interleaved',
  starts: [100, 110, 120, 105, 115].map((readyMs, i) => ({ round: i + 1, readyMs, ...(split && { engineMs: 40, appMs: readyMs - 40 }) })),
});

describe('startup results with and without the split', () => {
  const kind = startupScenario.kind;
  const figure = (r: StartupResult) => kind.figure('ready-ms', r, fakeResults()) as Figure;

  it("judges the claim on the application's own start in containers, saying so", () => {
    const f = figure(containerStarts(true));
    expect(f.samples.map((s) => s.value)).toEqual([60, 70, 80, 65, 75]);
    expect(f.detail).toMatch(/^application's own start: container StartedAt to the first 200, the engine's share left out; 5 starts, container$/);
  });

  it('falls back to the whole start for results without the split, saying that the engine is in it', () => {
    const f = figure(containerStarts(false));
    expect(f.samples.map((s) => s.value)).toEqual([100, 110, 120, 105, 115]);
    expect(f.detail).toMatch(/engine time included/);
  });

  it('locally: spawn to the first 200, no engine', () => {
    const r: StartupResult = { ...containerStarts(false), mode: 'process' };
    r.starts = r.starts.map((s) => ({ ...s, engineMs: null, appMs: s.readyMs }));
    const f = figure(r);
    expect(f.samples.map((s) => s.value)).toEqual([100, 110, 120, 105, 115]);
    expect(f.detail).toMatch(/^application's own start: process spawn to the first 200 \(no engine\)/);
    const section = kind.section([measurement('node', 'startup', r)], fakeResults());
    expect(section.tables[1]!.rows[0]).toEqual(['node', 'n/a (process)', '', 'n/a (process)', '', '110', '100–120 (93.8%)', '110', '100–120 (93.8%)', '5']);
  });

  it('shows engine, engine share, application and total, each with its interval', () => {
    const m: Measurement = measurement('node', 'startup', containerStarts(true), { runtime: 'docker' });
    const section = kind.section([m], fakeResults());
    expect(section.tables).toHaveLength(2);
    expect(section.tables[1]!.header).toEqual(['target', 'engine ms', 'interval (level)', 'engine share', 'interval (level)', 'app ms', 'interval (level)', 'total ms', 'interval (level)', 'starts']);
    expect(section.tables[1]!.rows[0]).toEqual(['node', '40.0', '40.0–40.0 (93.8%)', '36.4%', '33.3%–40.0% (93.8%)', '70.0', '60.0–80.0 (93.8%)', '110', '100–120 (93.8%)', '5']);
    expect(section.paragraphs.join(' ')).toMatch(/\*\*engine\*\* = the create call to the container's `StartedAt`/);
    expect(kind.summaryLine(containerStarts(true))).toMatch(/application 70\.0 ms after the engine's 40\.0 ms$/);
    expect(kind.series(containerStarts(true)).map((s) => s.metric)).toEqual(['time to first 200', 'application start']);
  });

  it("charts the application's own start, with its median, and the total beside it in containers", () => {
    const [chart] = kind.charts([measurement('node', 'startup', containerStarts(true), { runtime: 'docker' })], fakeResults());
    const spec = chart!.spec as unknown as { data: { values: { ms: number; figure: string }[] }; layer: { transform?: unknown[] }[] };
    const of = (figure: string) => spec.data.values.filter((v) => v.figure === figure).map((v) => v.ms);
    expect(of('application (judged)')).toEqual([60, 70, 80, 65, 75]);
    expect(of('total, engine included')).toEqual([100, 110, 120, 105, 115]);
    // The black median tick is the judged figure's, not the total's.
    expect(spec.layer[1]!.transform).toEqual([{ filter: { field: 'figure', oneOf: ['application (judged)', 'start (judged)'] } }]);
    const [old] = kind.charts([measurement('node', 'startup', containerStarts(false))], fakeResults());
    expect((old!.spec as unknown as typeof spec).data.values.map((v) => v.figure)).toEqual(Array(5).fill('start (judged)'));
  });

  it('keeps the old section for old results: the total alone', () => {
    const section = kind.section([measurement('node', 'startup', containerStarts(false))], fakeResults());
    expect(section.tables).toHaveLength(1);
    expect(kind.series(containerStarts(false)).map((s) => s.metric)).toEqual(['time to first 200']);
  });

  it('the startup claim reads the application time: a fixed engine cost no longer pulls the ratio towards 1', () => {
    const run = (split: boolean) => {
      const r = fakeResults();
      const starts = (appMs: number): StartupResult => ({
        ...containerStarts(split),
        starts: Array.from({ length: 12 }, (_, i) => i % 5).map((i, round) => ({ round: round + 1, readyMs: 60 + appMs + i, ...(split && { engineMs: 60, appMs: appMs + i }) })),
      });
      r.measurements.push(measurement('node', 'startup', starts(75)), measurement('django', 'startup', starts(180)));
      return evaluateClaims(r).find((v) => v.claim.id === 'startup')!;
    };
    expect(run(true).ratio!.value).toBeCloseTo(2.38, 1); // 182/77
    expect(run(true).verdict).toBe('supported');
    expect(run(false).ratio!.value).toBeCloseTo(1.77, 1); // 242/137: the engine's 60 ms in both
  });
});
