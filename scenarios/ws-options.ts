// The load of the WebSocket scenarios (ws-capacity, ws-echo, ws-broadcast): one declaration they
// share, so that `ws` in bench.config.ts and results.json (`load.ws`), the profiles' defaults and the
// flags --ws-step and --ws-ceiling live here and nowhere in the core.
import { z } from 'zod';
import { parsePositiveInt } from '../harness/config.ts';
import { UserError } from '../harness/errors.ts';
import type { ScenarioOptions } from '../harness/types.ts';

export const wsOptionsSchema = z.object({
  /** ws-capacity: clients added per step, the ceiling, the p95 round-trip limit, ramps per target (each on a fresh target). */
  step: z.number().int().positive(),
  ceiling: z.number().int().positive(),
  rttLimitMs: z.number().positive(),
  ramps: z.number().int().positive(),
  /** Echo messages sent after each step to measure the round trip. */
  sampleMessages: z.number().int().positive(),
  /** ws-echo: clients; the offered rate: a share of the slowest target's echo capacity, from a probe at echoProbeRate messages/s (or, in older results and where no share is set, a fixed rate per client). */
  echoClients: z.number().int().positive(),
  echoShare: z.number().gt(0).lte(1).optional(),
  echoProbeRate: z.number().positive().optional(),
  echoRatePerClient: z.number().positive().optional(),
  /** ws-broadcast: clients on /ws/broadcast, one of them sending round after round. */
  broadcastClients: z.number().int().positive(),
  /** Length of each ws-echo and ws-broadcast trial. */
  trialS: z.number().positive(),
  messageBytes: z.number().int().positive(),
});
export type WsOptions = z.infer<typeof wsOptionsSchema>;

const DEFAULTS: Record<'quick' | 'full', WsOptions> = {
  // One capacity ramp per target, up to a safety ceiling above what a target process may open on
  // these machines (20,000 files), so that a ramp ends at the framework's limit or says which of the
  // machine's stopped it; echo at half the slowest target's probed capacity.
  quick: { step: 5000, ceiling: 25000, rttLimitMs: 250, ramps: 1, sampleMessages: 100, echoClients: 500, echoShare: 0.5, echoProbeRate: 20000, broadcastClients: 50, trialS: 1, messageBytes: 32 },
  // Two ramps per target, each on a fresh target; echo with thousands of clients.
  full: { step: 5000, ceiling: 50000, rttLimitMs: 250, ramps: 2, sampleMessages: 200, echoClients: 5000, echoShare: 0.5, echoProbeRate: 20000, broadcastClients: 500, trialS: 3, messageBytes: 32 },
};

const n = (x: number) => x.toLocaleString('en-US');

export const wsOptions: ScenarioOptions<WsOptions> = {
  key: 'ws',
  schema: wsOptionsSchema,
  defaults: DEFAULTS,
  flags: [
    {
      name: 'ws-step',
      value: 'N',
      help: `ws-capacity: WebSocket clients added per step (quick ${DEFAULTS.quick.step}, full ${DEFAULTS.full.step})`,
      apply: (o, v) => ({ ...o, step: parsePositiveInt(v, '--ws-step') }),
    },
    {
      name: 'ws-ceiling',
      value: 'N',
      help: `ws-capacity: no step goes past N clients (quick ${DEFAULTS.quick.ceiling}, full ${DEFAULTS.full.ceiling})`,
      apply: (o, v) => ({ ...o, ceiling: parsePositiveInt(v, '--ws-ceiling') }),
    },
  ],
  check(o) {
    if (o.ceiling < o.step) throw new UserError(`--ws-ceiling (${o.ceiling}) is below --ws-step (${o.step}).`, 'Give a ceiling of at least one step, e.g. --ws-step 1000 --ws-ceiling 10000 (or ws: { step, ceiling } in bench.config.ts).');
  },
  describe: (o) =>
    `WebSocket ramps in steps of ${n(o.step)} to ${n(o.ceiling)} clients (${o.ramps} per target), echo at ${n(o.echoClients)} clients${o.echoShare ? ` and ${Math.round(o.echoShare * 100)}% of the slowest target's echo capacity` : ''}, ${o.trialS} s trials`,
};
