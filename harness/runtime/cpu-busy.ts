// How busy each CPU of the machine was over an interval, from /proc/stat: everything that ran on
// it (the loader, the harness, a database sharing its core), not one process. On 2 cores the
// database shares the loader's core; this is what tells whether that core was saturated.
import fs from 'node:fs';

export type CpuTimes = Map<number, { busy: number; total: number }>;

/** Parses /proc/stat's per-CPU lines ("cpu3 user nice system idle iowait irq softirq steal ..."). */
export function parseProcStat(text: string): CpuTimes {
  const times: CpuTimes = new Map();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    // idle + iowait are idle time; guest time is already counted in user/nice.
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((s, x) => s + x, 0);
    times.set(Number(m[1]), { busy: total - idle, total });
  }
  return times;
}

export function readCpuTimes(): CpuTimes | null {
  try {
    return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/** Busy percent of each of `cpus` between two readings (null where unknown). */
export function busyPct(before: CpuTimes | null, after: CpuTimes | null, cpus: number[]): (number | null)[] {
  return cpus.map((cpu) => {
    const a = before?.get(cpu);
    const b = after?.get(cpu);
    if (!a || !b || b.total <= a.total) return null;
    return ((b.busy - a.busy) / (b.total - a.total)) * 100;
  });
}
