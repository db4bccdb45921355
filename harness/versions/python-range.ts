// Python version ranges as target.json writes them (">=3.12", ">=3.8,<3.13"): bounds on major.minor.
import type { PythonOffer } from '../types.ts';

type Bound = { op: '>=' | '>' | '<=' | '<'; major: number; minor: number };

function bounds(range: string): Bound[] {
  return range
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^(>=|<=|<|>)\s*(\d+)\.(\d+)$/.exec(part);
      if (!m) throw new Error(`"${part}" is not a bound such as >=3.12`);
      return { op: m[1] as Bound['op'], major: Number(m[2]), minor: Number(m[3]) };
    });
}

/** -1, 0 or 1 as "3.11" compares with "3.12" (major.minor; a patch is ignored). */
export function comparePython(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return Math.sign(am - bm || an - bn);
}

/** Whether a Python version ("3.13" or "3.13.5") is within the range; no range: any. */
export function inPythonRange(version: string, range: string | undefined): boolean {
  if (!range) return true;
  return bounds(range).every((b) => {
    const c = comparePython(version, `${b.major}.${b.minor}`);
    return b.op === '>=' ? c >= 0 : b.op === '>' ? c > 0 : b.op === '<=' ? c <= 0 : c < 0;
  });
}

/** The newest offer in the range, or null. */
export function newestInRange<T extends Pick<PythonOffer, 'version'>>(offers: T[], range: string | undefined): T | null {
  return [...offers].sort((a, b) => comparePython(b.version, a.version)).find((o) => inPythonRange(o.version, range)) ?? null;
}

/** "3.13 (the host's python3.13), 3.11 (...)": what a runtime offers, for skip reasons. */
export function describeOffers(offers: PythonOffer[]): string {
  return offers.length ? offers.map((o) => `${o.version} (${o.from})`).join(', ') : 'none';
}
