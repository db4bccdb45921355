import { describe, expect, it } from 'vitest';
import { parseProcStat, processTree, sampleTree, type ProcStat } from '../../harness/runtime/process-tree.ts';
import { summarizeSamples } from '../../harness/runtime/resource-monitor.ts';

describe('/proc parsing', () => {
  it('reads a stat line whose command name has spaces and parentheses', () => {
    const line = '4242 (uvicorn: (worker) 1) S 4000 4000 4000 0 -1 4194560 100 0 0 0 150 50 10 5 20 0 3 0 12345 100000000 2560 18446744073709551615';
    const stat = parseProcStat(line)!;
    expect(stat).toMatchObject({ pid: 4242, ppid: 4000, pgid: 4000, state: 'S' });
    expect(stat.rssBytes).toBe(2560 * 4096);
    expect(stat.cpuSeconds).toBeCloseTo((150 + 50 + 10 + 5) / 100, 5);
  });

  it('collects a root and all its descendants, nothing else', () => {
    const p = (pid: number, ppid: number): ProcStat => ({ pid, ppid, pgid: 1, state: 'S', rssBytes: 1, cpuSeconds: 0 });
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 10), p(13, 12), p(20, 1), p(21, 20)];
    expect(processTree(10, all).map((x) => x.pid).sort()).toEqual([10, 11, 12, 13]);
    expect(processTree(99, all)).toEqual([]);
  });

  it('samples this very process: PSS as the memory figure, RSS beside it', () => {
    const s = sampleTree(process.pid)!;
    expect(s.memoryBytes).toBeGreaterThan(1024 * 1024);
    // PSS divides shared pages (the node binary, libraries) among the processes mapping them.
    expect(s.memoryBytes).toBeLessThanOrEqual(s.rssBytes! * 1.05);
    expect(s.cpuSeconds).toBeGreaterThan(0);
  });
});

describe('resource summaries', () => {
  it('gives peak and mean memory, peak RSS and CPU percent over the sampled wall time', () => {
    const use = summarizeSamples([
      { atMs: 0, memoryBytes: 100, rssBytes: 150, cpuSeconds: 1 },
      { atMs: 1000, memoryBytes: 300, rssBytes: 400, cpuSeconds: 1.5 },
      { atMs: 2000, memoryBytes: 200, rssBytes: null, cpuSeconds: 2 },
    ]);
    expect(use).toEqual({ memoryBytesPeak: 300, memoryBytesMean: 200, rssBytesPeak: 400, cpuPct: 50 });
  });

  it('says n/a (null) rather than inventing a number without samples', () => {
    expect(summarizeSamples([])).toEqual({ memoryBytesPeak: null, memoryBytesMean: null, rssBytesPeak: null, cpuPct: null });
    expect(summarizeSamples([{ atMs: 5, memoryBytes: 10, rssBytes: 10, cpuSeconds: 1 }]).cpuPct).toBeNull();
  });
});
