// The deploy scenario's options: the link rates a node pulls at, the cases, an added delay (only
// where the kernel has netem), and the rate the claims are judged at. `deploy` in bench.config.ts
// and results.json (`load.deploy`); flags --deploy-rates and --deploy-delay.
import { z } from 'zod';
import { UserError } from '../harness/errors.ts';
import type { ScenarioOptions } from '../harness/types.ts';
import { DEPLOY_CASES } from '../harness/deploy/cycle.ts';

const RATE = /^([1-9][0-9]*)(kbit|mbit|gbit)$/;

/** tc's rate words in bits per second: 100mbit → 1e8. */
export function rateBits(rate: string): number {
  const m = RATE.exec(rate);
  if (!m) throw new RangeError(`"${rate}" is not a rate such as 100mbit or 1gbit`);
  return Number(m[1]) * { kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2] as 'kbit' | 'mbit' | 'gbit'];
}

/** 1gbit → "1 Gbit/s". */
export const rateWords = (rate: string): string => rate.replace(RATE, (_, n: string, u: string) => `${n} ${u[0]!.toUpperCase()}${u.slice(1)}/s`);

export const deployOptionsSchema = z.object({
  /** The rates the pulling host's link is limited to, in tc's words; the first is the one the claims read. */
  rates: z.array(z.string().regex(RATE, 'a rate such as 100mbit or 1gbit')).min(1),
  cases: z.array(z.enum(DEPLOY_CASES)).min(1),
  /** Added one-way delay on the link (netem); 0: none. A kernel without netem refuses any other value. */
  delayMs: z.number().int().nonnegative(),
});
export type DeployOptions = z.infer<typeof deployOptionsSchema>;

/**
 * 1 Gbit/s first (the claims read it): a cloud node's link to a registry in its region is at least
 * that; 100 Mbit/s beside it, where the size of an image shows. No delay: these kernels have no netem.
 */
const DEFAULTS: DeployOptions = { rates: ['1gbit', '100mbit'], cases: ['cold', 'base-present'], delayMs: 0 };

export const deployOptions: ScenarioOptions<DeployOptions> = {
  key: 'deploy',
  schema: deployOptionsSchema,
  defaults: { quick: DEFAULTS, full: DEFAULTS },
  flags: [
    {
      name: 'deploy-rates',
      value: 'R,R',
      help: `deploy: the link rates the pulling host receives at, e.g. 1gbit,100mbit (the default; the first is the one the claims read)`,
      apply: (o, v) => {
        const rates = v.split(',').map((r) => r.trim()).filter(Boolean);
        const bad = rates.find((r) => !RATE.test(r));
        if (bad !== undefined || !rates.length) throw new UserError(`--deploy-rates: "${bad ?? v}" is not a rate such as 100mbit or 1gbit.`, 'Give rates in kbit, mbit or gbit, comma-separated, e.g. --deploy-rates 1gbit,100mbit.');
        return { ...o, rates };
      },
    },
    {
      name: 'deploy-cases',
      value: 'C,C',
      help: `deploy: the cases, of ${DEPLOY_CASES.join(' and ')} (default both): a node with nothing of the image, or with its base image already pulled`,
      apply: (o, v) => {
        const cases = v.split(',').map((c) => c.trim()).filter(Boolean);
        const bad = cases.find((c) => !(DEPLOY_CASES as readonly string[]).includes(c));
        if (bad !== undefined || !cases.length) throw new UserError(`--deploy-cases: "${bad ?? v}" is not a case.`, `Give ${DEPLOY_CASES.join(' and/or ')}, comma-separated.`);
        return { ...o, cases: cases as DeployOptions['cases'] };
      },
    },
    {
      name: 'deploy-delay',
      value: 'MS',
      help: 'deploy: a one-way delay added to the link, in ms (default 0; needs netem in the kernel, and the run refuses it where there is none)',
      apply: (o, v) => {
        const ms = Number(v);
        if (!Number.isInteger(ms) || ms < 0) throw new UserError(`--deploy-delay: "${v}" is not a whole number of milliseconds.`, 'e.g. --deploy-delay 20');
        return { ...o, delayMs: ms };
      },
    },
  ],
  check(o) {
    if (new Set(o.rates).size !== o.rates.length) throw new UserError(`deploy.rates lists a rate twice: ${o.rates.join(', ')}.`, 'Give each rate once.');
  },
  describe: (o) => `deploys at ${o.rates.map(rateWords).join(' and ')} (${o.cases.join(', ')})${o.delayMs ? ` with ${o.delayMs} ms of delay` : ''}`,
};
