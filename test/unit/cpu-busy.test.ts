import { describe, expect, it } from 'vitest';
import { busyPct, parseProcStat } from '../../harness/runtime/cpu-busy.ts';
import { sharedCpuSaturated } from '../../harness/http/trials.ts';

const stat = (cpu0: number[], cpu1: number[]) => `cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 ${cpu0.join(' ')} 0 0\ncpu1 ${cpu1.join(' ')} 0 0\nintr 1 2\n`;

describe('CPU busy time from /proc/stat', () => {
  it('counts idle and iowait as idle and everything else (steal included) as busy, per CPU', () => {
    // user nice system idle iowait irq softirq steal
    const before = parseProcStat(stat([100, 0, 50, 800, 50, 0, 0, 0], [0, 0, 0, 1000, 0, 0, 0, 0]));
    const after = parseProcStat(stat([160, 0, 80, 850, 60, 0, 0, 10], [10, 0, 0, 1090, 0, 0, 0, 0]));
    const [cpu0, cpu1] = busyPct(before, after, [0, 1]);
    expect(cpu0).toBeCloseTo((100 / 160) * 100, 6); // 60+30+10 busy of 160 ticks
    expect(cpu1).toBeCloseTo(10, 6);
    expect(busyPct(before, after, [7])).toEqual([null]);
  });

  it('flags a saturated CPU only where the loader shares it with a service', () => {
    const pinning = { loaderCpus: [0], serviceCpus: [0] };
    expect(sharedCpuSaturated(pinning, [97], true, 90)).toBe(true);
    expect(sharedCpuSaturated(pinning, [60], true, 90)).toBe(false);
    expect(sharedCpuSaturated(pinning, [97], false, 90)).toBe(false);
    expect(sharedCpuSaturated({ loaderCpus: [0], serviceCpus: [2] }, [99], true, 90)).toBe(false);
  });
});
