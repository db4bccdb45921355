// What the deploy scenario measures and how it is shown: per target, link rate and case, the bytes
// a pull moved over the link, the pull (to the image stored), the start (to the first 200) and the
// total, each with the median's interval at its real confidence level; a chart of the total against
// the rate; and the figure the claims read (the total, cold, at the first rate), paired by round.
import { z } from 'zod';
import { DEPLOY_CASES, type DeployCase } from '../harness/deploy/cycle.ts';
import { fmtInterval, fmtMB } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import type { Measurement, ResultKind } from '../harness/types.ts';
import { rateBits, rateWords } from './deploy-options.ts';
import { compressedOf, type ImageResult } from './image-size.ts';

const cycleSchema = z.object({
  round: z.number().int().positive(),
  rate: z.string(),
  case: z.enum(DEPLOY_CASES),
  /** When the pull began (ISO). */
  at: z.string(),
  bytes: z.number().nonnegative(),
  pullMs: z.number().nonnegative(),
  startMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
});
export type DeployCycle = z.infer<typeof cycleSchema>;

const deployResultSchema = z.object({
  /** The image deployed (this machine's tag), its base, and its path in the run's registry. */
  image: z.string(),
  base: z.string(),
  registryPath: z.string(),
  /** The rate the claims read (the cold case's total there). */
  claimRate: z.string(),
  /** The pulling host and its link, in words. */
  pullingHost: z.string(),
  link: z.object({ shaping: z.string(), delay: z.string() }),
  cycles: z.array(cycleSchema),
});
export type DeployResult = z.infer<typeof deployResultSchema>;

export const CLAIM_CASE: DeployCase = 'cold';

const resultOf = (m: Measurement) => m.result as DeployResult | undefined;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const caseWords: Record<DeployCase, string> = { cold: 'cold', 'base-present': 'base present' };

/** Every (rate, case) the cycles have, in the order measured. */
function combos(r: DeployResult): { rate: string; case: DeployCase }[] {
  const seen = new Map<string, { rate: string; case: DeployCase }>();
  for (const c of r.cycles) seen.set(`${c.rate} ${c.case}`, { rate: c.rate, case: c.case });
  return [...seen.values()];
}

const cyclesOf = (r: DeployResult, rate: string, kase: DeployCase) => r.cycles.filter((c) => c.rate === rate && c.case === kase);

/** One cell pair: median and its interval with the level. */
function cell(values: number[], fmt: (n: number) => string): [string, string] {
  const e = estimate(values);
  return [fmt(e.median), fmtInterval(e.ci, fmt)];
}

/** The image-size scenario's compressed size of the same target in the run: what a pull should move (all of it cold, the app layers with the base present). */
function compressedSize(target: string, kase: DeployCase, run: { measurements: Measurement[] }): number | null {
  const m = run.measurements.find((x) => x.scenario === 'image-size' && x.target === target && x.status === 'ok');
  const image = (m?.result as ImageResult | undefined)?.image;
  const c = image && compressedOf(image);
  return c ? (kase === 'cold' ? c.total : c.app) : null;
}

export const deployKind: ResultKind<DeployResult> = {
  schema: deployResultSchema,
  summaryLine(r) {
    const claim = cyclesOf(r, r.claimRate, CLAIM_CASE);
    if (!claim.length) return `${r.cycles.length} deploys, none cold at ${rateWords(r.claimRate)}`;
    const e = (f: (c: DeployCycle) => number) => estimate(claim.map(f)).median;
    return `cold at ${rateWords(r.claimRate)}: ${seconds(e((c) => c.totalMs))} to the first 200 (pull ${seconds(e((c) => c.pullMs))} for ${fmtMB(e((c) => c.bytes))}, start ${seconds(e((c) => c.startMs))}), median of ${claim.length}`;
  },
  section(measurements, run) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.cycles.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    return {
      paragraphs: [
        `Each deploy as a node that lacks the image does it: the image is pulled from a registry the run started (Debian's docker-registry, plain HTTP, on this machine) into ${first.pullingHost}, over its link limited to the rate (${first.link.shaping}; ${first.link.delay}), and a container is started from it and polled from this machine every 5 ms until the first 200 from \`/json\`. ` +
          `**Cold**: the node holds no image at all; **base present**: the base image's layers were pulled first, untimed, as on a node that already runs other apps on that base. **Pull** ends when the image is stored (fetched and unpacked), **start** is the container's create to the first 200, **total** both. ` +
          'Deploys are interleaved across targets, the order rotated every round; each figure is the median over the deploys with its interval at its real confidence level. **Bytes** crossed the link during the pull (the registry\'s answers with their HTTP and TCP overhead); a pull moves about the compressed size of what the node lacks (the whole image cold, its app layers with the base present), given beside where the run sized the image.',
        "The pulling host shares this machine's kernel, disk and CPUs: unpacking and starting run at this machine's speed, and what the registry serves is read from this machine's disk. Kubernetes adds its own scheduling and probes to a deploy; this is the pull and the start it waits for.",
      ],
      tables: [
        {
          header: ['target', 'rate', 'case', 'deploys', 'MB pulled', 'compressed size (image-size)', 'pull', 'interval (level)', 'start', 'interval (level)', 'total', 'interval (level)'],
          rows: rows.flatMap(({ target, r }) =>
            combos(r).map(({ rate, case: kase }) => {
              const cs = cyclesOf(r, rate, kase);
              const size = compressedSize(target, kase, run);
              return [
                target,
                rateWords(rate),
                kase,
                String(cs.length),
                fmtMB(estimate(cs.map((c) => c.bytes)).median),
                size === null ? 'n/a' : fmtMB(size),
                ...cell(cs.map((c) => c.pullMs), seconds),
                ...cell(cs.map((c) => c.startMs), seconds),
                ...cell(cs.map((c) => c.totalMs), seconds),
              ];
            }),
          ),
        },
      ],
      warnings: [],
    };
  },
  charts(measurements) {
    const values = measurements.flatMap((m) => {
      const r = resultOf(m);
      return (r?.cycles ?? []).map((c) => ({ target: m.target, case: caseWords[c.case], mbit: rateBits(c.rate) / 1e6, s: c.totalMs / 1000 }));
    });
    const x = { field: 'mbit', type: 'quantitative', scale: { type: 'log' }, title: 'link rate (Mbit/s, log scale)' };
    return [
      {
        name: 'deploy',
        title: 'Deploy time (pull + start to the first 200) against the link rate',
        missing: 'no valid measurement of the `deploy` scenario in this run',
        spec: values.length
          ? vegaLite('Deploy time (s) against the link rate: every deploy, and the median per target and case', {
              data: { values },
              layer: [
                { mark: { type: 'point', opacity: 0.5 }, encoding: { x, y: { field: 's', type: 'quantitative', title: 'seconds' }, color: { field: 'target', type: 'nominal', title: null }, shape: { field: 'case', type: 'nominal', title: null } } },
                {
                  mark: { type: 'line', point: true },
                  encoding: { x, y: { aggregate: 'median', field: 's', type: 'quantitative' }, color: { field: 'target', type: 'nominal' }, strokeDash: { field: 'case', type: 'nominal', title: null } },
                },
              ],
            })
          : null,
      },
    ];
  },
  series: (r) =>
    combos(r).map(({ rate, case: kase }) => {
      const cs = cyclesOf(r, rate, kase);
      return { metric: `deploy total, ${rateWords(rate)}, ${kase}`, unit: 'ms', higherIsBetter: false, samples: cs.map((c) => c.totalMs), pairKeys: cs.map((c) => `round ${c.round}`) };
    }),
  figureNames: ['total-ms'],
  figure(name, r) {
    if (name !== 'total-ms') return `no figure "${name}"`;
    const cs = cyclesOf(r, r.claimRate, CLAIM_CASE);
    if (!cs.length) return `no cold deploy at ${rateWords(r.claimRate)}`;
    return {
      samples: cs.map((c) => ({ value: c.totalMs, pairKey: `round ${c.round}`, at: c.at })),
      unit: 'ms',
      detail: `total deploy time, cold at ${rateWords(r.claimRate)}: pull from the run's registry into a node with nothing of the image, then start to the first 200; ${cs.length} deploys, interleaved`,
      lowerBound: false,
      pairable: true,
    };
  },
};
