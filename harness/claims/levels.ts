// A claim between two figures read at levels (memory while holding 5,000, 10,000, ... clients) reads
// both at the highest level both sides reached, so that neither is compared at a load the other
// never carried.
import type { Figure } from '../types.ts';

export function atCommonLevel(num: Figure, den: Figure): { num: Figure | string; den: Figure | string } {
  if (!num.levels || !den.levels) return { num, den };
  const reached = (f: Figure) => new Set(f.levels!.filter((l) => l.samples.length).map((l) => l.level));
  const theirs = reached(den);
  const common = [...reached(num)].filter((l) => theirs.has(l));
  if (!common.length) return { num: 'no level that both sides reached', den };
  const level = Math.max(...common);
  const at = (f: Figure): Figure => {
    const l = f.levels!.find((x) => x.level === level)!;
    return { ...f, samples: l.samples, detail: `${l.label} (the most both sides reached); ${f.detail}` };
  };
  return { num: at(num), den: at(den) };
}
