// The order in which the reports list and chart a run's targets: the versions of one target together
// (by family: `node`, `node@25` and `node@main` are all node), in release order within it (4.2 <
// 5.2 < 6.0 < 6.1, 24 < 25 < 26), git revisions after the releases. Results from before versions
// keep the order they always had: the tables in the results' order, the charts vega's own.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../types.ts';

type Targets = Pick<RunResults, 'targets'>;

/** The target's name without a version: results' `family`, else the name before its '@'. */
export const familyOf = (name: string, run: Targets): string => run.targets[name]?.family ?? name.split('@')[0]!;

/** The run's targets carry versions: some target has a version, a family or a versioned name. */
export const hasVersions = (run: Pick<RunResults, 'targets' | 'measurements'>): boolean =>
  Object.values(run.targets).some((t) => t.version || t.family) || [...Object.keys(run.targets), ...run.measurements.map((m) => m.target)].some((n) => n.includes('@'));

/** a < b as releases: numeric parts compared as numbers (6.0 < 6.1 < 10.0), other parts as text. */
export function compareReleases(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const [nx, ny] = [/^\d+/.exec(x), /^\d+/.exec(y)];
    if (nx && ny && Number(nx[0]) !== Number(ny[0])) return Number(nx[0]) - Number(ny[0]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

interface SortKey {
  family: string;
  /** 0: no version known (a target that offers none), 1: an offered release, 2: a git revision. */
  kind: 0 | 1 | 2;
  release: string;
  /** Where it first appears in the run (revisions keep that order among themselves). */
  seen: number;
  bare: boolean;
  name: string;
}

/** The run's names (targets first, then any measured target missing from them), in the run's order. */
const namesOf = (run: Pick<RunResults, 'targets' | 'measurements'>): string[] => [...new Set([...Object.keys(run.targets), ...run.measurements.map((m) => m.target)])];

function keyOf(name: string, run: Targets, seen: number): SortKey {
  const info = run.targets[name];
  const at = name.indexOf('@');
  const key = info?.version?.key ?? (at >= 0 ? name.slice(at + 1) : undefined);
  const kind = info?.version ? (info.version.kind === 'revision' ? 2 : 1) : key === undefined ? 0 : /^\d/.test(key) ? 1 : 2;
  return { family: familyOf(name, run), kind, release: key ?? '', seen, bare: at < 0, name };
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.family !== b.family) return a.family < b.family ? -1 : 1;
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.kind === 1) {
    const r = compareReleases(a.release, b.release);
    if (r !== 0) return r;
  } else if (a.seen !== b.seen) return a.seen - b.seen;
  // The same build under two names (`node` and `node@24`): the bare name first.
  if (a.bare !== b.bare) return a.bare ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The run's target names in report order: grouped by family (families in alphabetical order),
 * releases in release order, revisions after them. Without versions: the run's own order.
 */
export function targetOrder(run: Pick<RunResults, 'targets' | 'measurements'>): string[] {
  const names = namesOf(run);
  if (!hasVersions(run)) return names;
  return names
    .map((n, i) => keyOf(n, run, i))
    .sort(compareKeys)
    .map((k) => k.name);
}

/** `items` in report order of their targets (a stable sort; unchanged for runs without versions). */
export function byTargetOrder<T>(items: T[], targetOf: (item: T) => string, run: Pick<RunResults, 'targets' | 'measurements'>): T[] {
  if (!hasVersions(run)) return items;
  const rank = new Map(targetOrder(run).map((n, i) => [n, i]));
  const at = (item: T) => rank.get(targetOf(item)) ?? Number.MAX_SAFE_INTEGER;
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => at(a.item) - at(b.item) || a.i - b.i)
    .map((x) => x.item);
}

/** The run's target a chart's label stands for: the name itself, or a name followed by a space ("node@24 (128 conn.)", "node ramp 2"). */
function targetOfLabel(label: string, names: string[]): string | undefined {
  let best: string | undefined;
  for (const n of names) if ((label === n || label.startsWith(`${n} `)) && (best === undefined || n.length > best.length)) best = n;
  return best;
}

/** The channels whose field definitions take a sort (`detail` has none). */
const CHANNELS = ['x', 'y', 'color', 'fill', 'stroke', 'shape', 'xOffset', 'yOffset', 'row', 'column', 'facet'];

/**
 * A scenario's chart with its targets in report order: every nominal or ordinal channel whose field
 * holds only target labels, and that does not sort itself, gets that order as an explicit sort
 * (vega-lite would sort them alphabetically: "django-wsgi" between "django" and "django@4.2", "node@9"
 * after "node@24"). Charts of runs without versions are returned as they are.
 */
export function orderChartTargets(spec: TopLevelSpec, run: Pick<RunResults, 'targets' | 'measurements'>): TopLevelSpec {
  if (!hasVersions(run)) return spec;
  const order = targetOrder(run);
  const rank = new Map(order.map((n, i) => [n, i]));
  // Every inline data row in the spec, wherever a layer brings its own.
  const rows: Record<string, unknown>[] = [];
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(collect);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const data = o.data as { values?: unknown } | undefined;
    if (data && Array.isArray(data.values)) rows.push(...(data.values as Record<string, unknown>[]));
    for (const [k, v] of Object.entries(o)) if (k !== 'data') collect(v);
  };
  collect(spec);
  const sorts = new Map<string, string[] | null>();
  const sortFor = (field: string): string[] | null => {
    if (!sorts.has(field)) {
      const values = [...new Set(rows.flatMap((r) => (field in r ? [r[field]] : [])))];
      const labels = values.every((v): v is string => typeof v === 'string') ? values : [];
      const targets = labels.map((l) => ({ l, t: targetOfLabel(l, order) }));
      sorts.set(
        field,
        targets.length && targets.every((x) => x.t !== undefined)
          ? targets.sort((a, b) => rank.get(a.t!)! - rank.get(b.t!)! || (a.l < b.l ? -1 : a.l > b.l ? 1 : 0)).map((x) => x.l)
          : null,
      );
    }
    return sorts.get(field)!;
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'data') out[k] = v;
      else if (k === 'encoding' && v && typeof v === 'object') {
        const enc: Record<string, unknown> = {};
        for (const [channel, def] of Object.entries(v as Record<string, unknown>)) {
          const d = def as { field?: unknown; type?: unknown; sort?: unknown } | null;
          const sort = CHANNELS.includes(channel) && d && typeof d.field === 'string' && (d.type === 'nominal' || d.type === 'ordinal') && !('sort' in d) ? sortFor(d.field) : null;
          enc[channel] = sort ? { ...d, sort } : def;
        }
        out[k] = enc;
      } else out[k] = visit(v);
    }
    return out;
  };
  return visit(spec) as TopLevelSpec;
}
