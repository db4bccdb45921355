import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cgroupOfPid,
  describeCgroupMemory,
  parseCgroupMounts,
  parseMemoryStat,
  parseProcCgroup,
  readCgroupCpuSeconds,
  readCgroupMemory,
} from '../../harness/runtime/cgroup.ts';

const ID = '3f1c0a9e5b7d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e';

// /proc/<pid>/cgroup of a Podman container on a cgroup v1 host with the cgroupfs manager.
const V1_PROC_CGROUP = `12:pids:/libpod_parent/libpod-${ID}
11:blkio:/libpod_parent/libpod-${ID}
10:freezer:/libpod_parent/libpod-${ID}
9:net_cls,net_prio:/libpod_parent/libpod-${ID}
8:perf_event:/libpod_parent/libpod-${ID}
7:memory:/libpod_parent/libpod-${ID}
6:devices:/libpod_parent/libpod-${ID}
5:hugetlb:/libpod_parent/libpod-${ID}
4:cpu,cpuacct:/libpod_parent/libpod-${ID}
3:cpuset:/libpod_parent/libpod-${ID}
2:rdma:/
1:name=systemd:/libpod_parent/libpod-${ID}
0::/libpod_parent/libpod-${ID}
`;

// memory.stat of a v1 memory cgroup (a node process with ~50 MB heap and a little page cache).
const V1_MEMORY_STAT = `cache 4866048
rss 56623104
rss_huge 0
shmem 0
mapped_file 2703360
dirty 0
writeback 0
pgpgin 19173
pgpgout 4157
pgfault 19932
pgmajfault 0
inactive_anon 56619008
active_anon 0
inactive_file 3379200
active_file 1486848
unevictable 0
hierarchical_memory_limit 9223372036854771712
total_cache 4866048
total_rss 56623104
total_rss_huge 0
total_shmem 0
total_mapped_file 2703360
total_dirty 0
total_writeback 0
total_pgpgin 19173
total_pgpgout 4157
total_pgfault 19932
total_pgmajfault 0
total_inactive_anon 56619008
total_active_anon 0
total_inactive_file 3379200
total_active_file 1486848
total_unevictable 0
`;

const V2_PROC_CGROUP = `0::/machine.slice/libpod-${ID}.scope/container\n`;

const V2_MEMORY_STAT = `anon 52428800
file 10485760
kernel 1179648
kernel_stack 196608
pagetables 372736
sec_pagetables 0
percpu 0
sock 0
vmalloc 0
shmem 0
zswap 0
zswapped 0
file_mapped 2097152
file_dirty 0
file_writeback 0
swapcached 0
anon_thp 0
file_thp 0
shmem_thp 0
inactive_anon 52363264
active_anon 65536
inactive_file 8388608
active_file 2097152
unevictable 0
slab_reclaimable 245760
slab_unreclaimable 311296
slab 557056
workingset_refault_anon 0
`;

const V2_CPU_STAT = `usage_usec 1234567
user_usec 1000000
system_usec 234567
nr_periods 0
nr_throttled 0
throttled_usec 0
`;

let tmp: string;
const write = (rel: string, text: string) => {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('parseProcCgroup', () => {
  it('maps v1 controllers to their mount points under the root, cpuacct under cpu,cpuacct', () => {
    const root = path.join(tmp, 'v1-combined');
    fs.mkdirSync(path.join(root, 'memory'), { recursive: true });
    fs.mkdirSync(path.join(root, 'cpu,cpuacct'), { recursive: true });
    expect(parseProcCgroup(V1_PROC_CGROUP, root)).toEqual({
      version: 1,
      memory: `${root}/memory/libpod_parent/libpod-${ID}`,
      cpuacct: `${root}/cpu,cpuacct/libpod_parent/libpod-${ID}`,
    });
  });

  it('finds cpuacct mounted on its own, and the unified hierarchy of a hybrid host', () => {
    const root = path.join(tmp, 'v1-separate');
    for (const d of ['memory', 'cpu', 'cpuacct', 'unified']) fs.mkdirSync(path.join(root, d), { recursive: true });
    const text = `4:memory:/a/b\n2:cpuacct:/a\n1:cpu:/a\n0::/a/b\n`;
    expect(parseProcCgroup(text, root)).toEqual({
      version: 1,
      memory: `${root}/memory/a/b`,
      cpuacct: `${root}/cpuacct/a`,
      unified: `${root}/unified/a/b`,
    });
  });

  it('reads a v2 line as a path under the root', () => {
    expect(parseProcCgroup(V2_PROC_CGROUP, '/x/cg')).toEqual({ version: 2, unified: `/x/cg/machine.slice/libpod-${ID}.scope/container` });
    expect(parseProcCgroup('0::/\n', '/x/cg')).toEqual({ version: 2, unified: '/x/cg' });
  });

  it('parses mountinfo cgroup entries (used for the real /sys/fs/cgroup)', () => {
    const mounts = parseCgroupMounts(
      [
        '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
        '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
        '35 31 0:32 /sub /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
        '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate',
      ].join('\n'),
    );
    expect(mounts.map((m) => [m.mountPoint, m.root, m.fsType])).toEqual([
      ['/sys/fs/cgroup/cpu,cpuacct', '/', 'cgroup'],
      ['/sys/fs/cgroup/memory', '/sub', 'cgroup'],
      ['/sys/fs/cgroup/unified', '/', 'cgroup2'],
    ]);
    expect(mounts[0]!.options).toContain('cpuacct');
  });
});

describe('parseMemoryStat', () => {
  it('reads key/value lines as numbers', () => {
    const s = parseMemoryStat(V1_MEMORY_STAT);
    expect(s.total_inactive_file).toBe(3379200);
    expect(s.hierarchical_memory_limit).toBe(9223372036854771712);
    expect(s.nope).toBeUndefined();
    expect(parseMemoryStat('')).toEqual({});
  });
});

describe('reading a v1 cgroup', () => {
  it('gives usage − total_inactive_file as the working set, and the CPU time from cpuacct.usage', () => {
    const root = path.join(tmp, 'v1-read');
    const dir = `libpod_parent/libpod-${ID}`;
    write(`v1-read/memory/${dir}/memory.usage_in_bytes`, '63242240\n');
    write(`v1-read/memory/${dir}/memory.stat`, V1_MEMORY_STAT);
    write(`v1-read/cpu,cpuacct/${dir}/cpuacct.usage`, '2500000000\n');
    const p = parseProcCgroup(V1_PROC_CGROUP, root);
    expect(p.version).toBe(1);
    expect(readCgroupMemory(p)).toEqual({
      version: 1,
      workingSetBytes: 63242240 - 3379200,
      usageBytes: 63242240,
      anonBytes: 56623104,
      cacheBytes: 4866048,
      inactiveFileBytes: 3379200,
    });
    expect(readCgroupCpuSeconds(p)).toBeCloseTo(2.5, 9);
  });

  it('falls back to the non-total_ names when the total_ ones are absent', () => {
    const dir = path.join(tmp, 'v1-nototal');
    write('v1-nototal/memory.usage_in_bytes', '1000000');
    write('v1-nototal/memory.stat', 'cache 300000\nrss 600000\ninactive_file 200000\n');
    expect(readCgroupMemory({ version: 1, memory: dir })).toEqual({
      version: 1,
      workingSetBytes: 800000,
      usageBytes: 1000000,
      anonBytes: 600000,
      cacheBytes: 300000,
      inactiveFileBytes: 200000,
    });
  });

  it('never reports a negative working set', () => {
    write('v1-neg/memory.usage_in_bytes', '100');
    write('v1-neg/memory.stat', 'total_cache 300\ntotal_rss 0\ntotal_inactive_file 200\n');
    expect(readCgroupMemory({ version: 1, memory: path.join(tmp, 'v1-neg') })?.workingSetBytes).toBe(0);
  });

  it('gives null for missing files, a missing controller, or a stat without the needed keys', () => {
    expect(readCgroupMemory({ version: 1, memory: path.join(tmp, 'does-not-exist') })).toBeNull();
    expect(readCgroupMemory({ version: 1 })).toBeNull();
    expect(readCgroupCpuSeconds({ version: 1 })).toBeNull();
    expect(readCgroupCpuSeconds({ version: 1, cpuacct: path.join(tmp, 'does-not-exist') })).toBeNull();
    write('v1-nostat/memory.usage_in_bytes', '1000');
    expect(readCgroupMemory({ version: 1, memory: path.join(tmp, 'v1-nostat') })).toBeNull();
    write('v1-nostat/memory.stat', 'total_rss 10\n');
    expect(readCgroupMemory({ version: 1, memory: path.join(tmp, 'v1-nostat') })).toBeNull();
  });
});

describe('reading a v2 cgroup', () => {
  it('gives memory.current − inactive_file as the working set, and cpu.stat usage_usec', () => {
    const root = path.join(tmp, 'v2-root');
    const dir = `machine.slice/libpod-${ID}.scope/container`;
    write(`v2-root/${dir}/memory.current`, '65011712\n');
    write(`v2-root/${dir}/memory.stat`, V2_MEMORY_STAT);
    write(`v2-root/${dir}/cpu.stat`, V2_CPU_STAT);
    const p = parseProcCgroup(V2_PROC_CGROUP, root);
    expect(readCgroupMemory(p)).toEqual({
      version: 2,
      workingSetBytes: 65011712 - 8388608,
      usageBytes: 65011712,
      anonBytes: 52428800,
      cacheBytes: 10485760,
      inactiveFileBytes: 8388608,
    });
    expect(readCgroupCpuSeconds(p)).toBeCloseTo(1.234567, 9);
  });

  it('gives null when the cgroup is gone', () => {
    const p = parseProcCgroup('0::/gone\n', path.join(tmp, 'v2-root'));
    expect(readCgroupMemory(p)).toBeNull();
    expect(readCgroupCpuSeconds(p)).toBeNull();
    expect(readCgroupMemory({ version: 2 })).toBeNull();
  });
});

describe('cgroupOfPid and labels', () => {
  it('reads this process’s cgroup, and null for a pid that does not exist', () => {
    const p = cgroupOfPid(process.pid);
    expect(p).not.toBeNull();
    expect([1, 2]).toContain(p!.version);
    if (p!.version === 1) expect(p!.memory).toMatch(/^\/sys\/fs\/cgroup\//);
    else expect(p!.unified).toMatch(/^\/sys\/fs\/cgroup/);
    expect(readCgroupMemory(p!)?.usageBytes ?? 1).toBeGreaterThan(0);
    expect(cgroupOfPid(2 ** 22 + 12345)).toBeNull();
  });

  it('names the figure exactly', () => {
    expect(describeCgroupMemory(1)).toBe('container working set from its cgroup (v1: memory.usage_in_bytes − total_inactive_file)');
    expect(describeCgroupMemory(2)).toBe('container working set from its cgroup (v2: memory.current − inactive_file)');
  });
});
