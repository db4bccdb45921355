import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSmapsRollup, processTree, readProcStat, readPss, sampleTreeMemory } from '../../harness/runtime/process-tree.ts';

const SMAPS_ROLLUP = `55d0c7a4a000-7ffd1b5f3000 ---p 00000000 00:00 0                          [rollup]
Rss:               48212 kB
Pss:               21087 kB
Pss_Dirty:         14320 kB
Pss_Anon:          14288 kB
Pss_File:           6799 kB
Pss_Shmem:             0 kB
Shared_Clean:      33868 kB
Shared_Dirty:          0 kB
Private_Clean:        24 kB
Private_Dirty:     14320 kB
Referenced:        48212 kB
Anonymous:         14288 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
`;

describe('parseSmapsRollup', () => {
  it('reads Pss and Rss (kB) and ignores Pss_* and SwapPss lines', () => {
    expect(parseSmapsRollup(SMAPS_ROLLUP)).toEqual({ pssBytes: 21087 * 1024, rssBytes: 48212 * 1024 });
  });

  it('sums the per-mapping lines of a full smaps', () => {
    const smaps = [
      '00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/node',
      'Size:                328 kB',
      'Rss:                 100 kB',
      'Pss:                  25 kB',
      'Pss_Dirty:             0 kB',
      '7f0000000000-7f0000100000 rw-p 00000000 00:00 0',
      'Size:               1024 kB',
      'Rss:                 200 kB',
      'Pss:                 200 kB',
      '',
    ].join('\n');
    expect(parseSmapsRollup(smaps)).toEqual({ pssBytes: 225 * 1024, rssBytes: 300 * 1024 });
  });

  it('gives null when a figure is missing', () => {
    expect(parseSmapsRollup('')).toBeNull();
    expect(parseSmapsRollup('Rss: 10 kB\nPss_Anon: 5 kB\n')).toBeNull();
  });
});

describe('reading PSS from /proc', () => {
  it('gives a positive PSS below the RSS of this process', () => {
    const pss = readPss(process.pid);
    const rss = readProcStat(process.pid)!.rssBytes;
    expect(pss).not.toBeNull();
    expect(pss!).toBeGreaterThan(0);
    expect(pss!).toBeLessThan(rss);
  });

  it('gives null for a process that does not exist', () => {
    expect(readPss(2 ** 22 + 12345)).toBeNull();
    expect(sampleTreeMemory(2 ** 22 + 12345)).toBeNull();
  });

  it('sums PSS over a tree of node processes, noticeably below the RSS sum', async () => {
    // A parent that starts 3 idle node children and says 'ready' once all of them have started.
    const parentScript = `
      const { spawn } = require('node:child_process');
      let ready = 0;
      for (let i = 0; i < 3; i++) {
        const c = spawn(process.execPath, ['-e', "setInterval(() => {}, 1000); console.log('up')"], { stdio: ['ignore', 'pipe', 'inherit'] });
        c.stdout.once('data', () => { if (++ready === 3) console.log('ready'); });
      }
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        parent.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
        parent.once('exit', (code) => reject(new Error(`parent exited (${code})`)));
        setTimeout(() => reject(new Error('children did not start in 20 s')), 20_000);
      });
      const s = sampleTreeMemory(parent.pid!)!;
      expect(s).not.toBeNull();
      const tree = processTree(parent.pid!);
      expect(tree).toHaveLength(4);
      const rssSum = tree.reduce((sum, p) => sum + p.rssBytes, 0);
      // Same tree, same RSS sum as sampleTree (give or take pages touched between the two reads).
      expect(Math.abs(s.rssBytes - rssSum)).toBeLessThan(0.1 * rssSum);
      expect(s.cpuSeconds).toBeGreaterThan(0);
      expect(s.pssBytes).not.toBeNull();
      // 4 node processes share the node binary's text and the shared libraries: divided among them.
      expect(s.pssBytes!).toBeGreaterThan(0);
      expect(s.pssBytes!).toBeLessThan(0.8 * s.rssBytes);
      console.log(
        `tree of 4 node processes: RSS sum ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB, PSS sum ${(s.pssBytes! / 2 ** 20).toFixed(1)} MiB (${((100 * s.pssBytes!) / s.rssBytes).toFixed(0)}%)`,
      );
    } finally {
      try {
        process.kill(-parent.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }, 30_000);
});
