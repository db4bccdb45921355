// The memory scenario at equal work, through the CLI: every target gets the same open-loop request
// rate, and steady-state memory follows the rate on a fixture that holds a known amount per request
// (FIXTURE_HOLD_MS: 64 KiB per request for 1 s, so 200 more req/s hold about 12.5 MiB more).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryResult } from '../../scenarios/memory.ts';
import { bench, FIXTURE_TARGETS, processesUnder, readRun } from '../helpers.ts';

const env = { BENCH_TARGETS_DIR: FIXTURE_TARGETS, FIXTURE_HOLD_MS: '1000' };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mem-'));

async function memoryAt(rate: number): Promise<MemoryResult> {
  const out = tmp();
  const r = await bench(['run', '--targets', 'fixture-ok', '--scenarios', 'memory', '--memory-rate', String(rate), '--connections', '8', '--duration', '3', '--trials', '3', '--out', out], { env });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return readRun(out).measurements[0]!.result as MemoryResult;
}

describe('memory at an equal request rate', () => {
  it('loads every cycle at the rate asked for, and its steady-state memory grows with that rate', { timeout: 120_000 }, async () => {
    const low = await memoryAt(200);
    const high = await memoryAt(400);
    for (const [r, rate] of [[low, 200], [high, 400]] as const) {
      expect(r).toMatchObject({ mode: 'open', rate, rateSource: 'set with --memory-rate' });
      expect(r.cycles).toHaveLength(3);
      for (const c of r.cycles) {
        expect(c.achievedRate).toBeGreaterThan(rate * 0.9);
        expect(c.steadyBytes).toBeGreaterThan(0);
      }
    }
    const median = (r: MemoryResult) => [...r.cycles.map((c) => c.steadyBytes!)].sort((a, b) => a - b)[1]!;
    // 200 req/s more hold ~12.5 MiB more; allow the runtime's own noise around that.
    const grew = (median(high) - median(low)) / 2 ** 20;
    expect(grew).toBeGreaterThan(4);
    expect(grew).toBeLessThan(40);
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  });

  it('without --memory-rate takes half of the slowest target\'s json throughput from the same run', { timeout: 120_000 }, async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-ok,fixture-twin', '--scenarios', 'json,memory', '--connections', '4', '--duration', '1', '--warmup', '0', '--trials', '2', '--out', out], { env: { BENCH_TARGETS_DIR: FIXTURE_TARGETS } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const results = readRun(out);
    const memory = results.measurements.filter((m) => m.scenario === 'memory').map((m) => m.result as MemoryResult);
    expect(memory).toHaveLength(2);
    expect(memory[0]!.rate).toBe(memory[1]!.rate);
    expect(memory[0]!.rateSource).toMatch(/^half of the slowest target's json throughput in this run, fixture-(ok|twin)'s [\d,]+ req\/s$/);
  });
});
