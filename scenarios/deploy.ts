// Scenario `deploy`: what a deploy costs a node that lacks the image (issue 22). The run starts a
// registry (a service), each target's image and its base are pushed to it, and a pulling host is
// made (a network namespace with its own engine and image storage, docker/test-hosts.sh). Then, in
// rounds interleaved across targets, each target is deployed at each link rate and in each case
// (harness/deploy/cycle.ts). The least rounds measure every rate and case; the claims' rounds go on
// with the one deploy the claims read (cold, at the first rate) until they are decided.
import { deployOnce, type DeployCase } from '../harness/deploy/cycle.ts';
import { DEPLOY_HOST, PullHost } from '../harness/deploy/pull-host.ts';
import { pushImage } from '../harness/deploy/push.ts';
import { UserError } from '../harness/errors.ts';
import { fmtMB } from '../harness/report/format.ts';
import { restingTargets } from '../harness/claims/open.ts';
import { runClaimRounds } from '../harness/run/rounds.ts';
import { registryService } from '../harness/services/registry.ts';
import { earliestDecisionPairs } from '../harness/stats/confseq.ts';
import type { LoadShape, RunningTarget, Scenario } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';
import { CLAIM_CASE, deployKind, type DeployResult } from './deploy-kind.ts';
import { deployOptions, rateBits, rateWords, type DeployOptions } from './deploy-options.ts';

/**
 * For the plan and the claims' budget, as measured here: an image of about this size, the time a
 * deploy takes besides the transfer (emptying the node, unpacking about 80 MB of layers on these
 * 2 cores, starting, stopping), and the base's untimed pull in the base-present case.
 */
const PLAN_IMAGE_BYTES = 80e6;
const PLAN_FIXED_S = 4;
const PLAN_BASE_S = 3;
const PLAN_PUSH_S = 10;
/** The claims' budget allows this much more than the planned rounds: a budget that stops a claim a round short of its decision wastes every round before. */
const BUDGET_MARGIN = 1.5;
const READY_TIMEOUT_MS = 120_000;
const MEMORY_BYTES = 2 * 1024 ** 3;

const deployS = (rate: string, kase: DeployCase) => (PLAN_IMAGE_BYTES * 8) / rateBits(rate) + PLAN_FIXED_S + (kase === 'base-present' ? PLAN_BASE_S : 0);
const allCombos = (o: DeployOptions) => o.rates.flatMap((rate) => o.cases.map((kase) => ({ rate, case: kase })));

/**
 * The claim rounds' budget: the profile's, or enough for the pairs a decision needs at the run's
 * confidence when that is more. A claim round here is one deploy per claim target, seconds each
 * (a startup round is one start, a fraction of one), so the profile's budget, made for those,
 * would stop every deploy claim before it could be decided.
 */
function claimBudgetS(load: LoadShape, profileBudgetS: number, claimRoundS: number): number {
  return Math.round(Math.max(profileBudgetS, (Math.max(0, earliestDecisionPairs(load.confidence ?? 0.95) - load.trials) + 1) * claimRoundS * BUDGET_MARGIN));
}

export const deployScenario: Scenario<DeployResult, DeployOptions> = {
  name: 'deploy',
  description:
    "Deploy time: each target's image pushed to a registry the run starts, pulled into a node that lacks it (cold, or with its base present) over a link of set rate, then started to the first 200 from /json; bytes, pull, start and total, interleaved across targets.",
  options: deployOptions,
  requires: ['/json'],
  runtimeNeeds: ['images'],
  services: [registryService],
  schedule: 'interleaved',
  kind: deployKind,
  // Deploying an image that does not serve correctly would time a broken image.
  verify: verifyJson,

  plannedSeconds(load, _profile, targets, claimTargets, o) {
    const all = allCombos(o).reduce((s, c) => s + deployS(c.rate, c.case), 0);
    const claimRound = deployS(o.rates[0]!, CLAIM_CASE) * (o.cases.includes(CLAIM_CASE) ? claimTargets : 0);
    const claims = claimRound && load.claimRounds ? Math.min(Math.max(0, load.claimRounds.max - load.trials) * claimRound, claimBudgetS(load, load.claimRounds.budgetS, claimRound) + claimRound) : 0;
    return 15 + targets * PLAN_PUSH_S + load.trials * all * targets + claims;
  },

  async run(targets: RunningTarget[], ctx) {
    const o = ctx.options;
    const registry = ctx.services.find((s) => s.service.name === registryService.name);
    if (!registry) throw new Error('the registry service is not running');
    if (registry.endpoint.host !== '127.0.0.1') throw new UserError(`The deploy scenario runs on this machine only, and this run's registry is on ${registry.endpoint.host}.`, 'Run deploy without --service-host.');
    const built = ctx.runtime.builtImage?.bind(ctx.runtime);
    if (!built) throw new UserError(`The ${ctx.runtime.name} runtime cannot hand over its images for a deploy.`, 'Use --runtime docker.');
    const claimRate = o.rates[0]!;
    // The executor's instances are not needed: each deploy starts its own on the pulling host.
    for (const t of targets) await t.stop();

    const host = await PullHost.up(DEPLOY_HOST, (line) => ctx.progress.info(line));
    try {
      // Whether the kernel can delay the link (netem): asked with a 1 ms delay, then lifted.
      const netem = await host.setRate(claimRate, 1).then(
        () => true,
        () => false,
      );
      await host.setRate('off');
      if (o.delayMs && !netem) throw new UserError(`--deploy-delay ${o.delayMs}: this machine's kernel has no netem (sch_netem), so no delay can be added to the link.`, 'Leave --deploy-delay out (0), or run on a kernel with netem.');
      const link = {
        shaping: 'a token bucket (tc tbf) on what the node receives, holding 10 ms at the rate (at least 32 KiB)',
        delay: o.delayMs ? `${o.delayMs} ms of delay added with netem` : `no delay added (none was asked${netem ? '' : "; this machine's kernel has no netem to add one"})`,
      };
      const pullingHost = `a node made for the run (a network namespace on this machine, ${host.ip}, with its own Podman ${host.engine.version} and its own image storage)`;
      const results = new Map<RunningTarget, DeployResult>();
      const refs = new Map<RunningTarget, { image: string; base: string }>();
      const port = registry.endpoint.port;
      for (const t of targets) {
        const name = t.target.decl.name;
        ctx.progress.step(`${name}: pushing its image and its base image to the run's registry`, PLAN_PUSH_S);
        const b = built(t.target);
        const registryPath = await pushImage(b.engine, b.tag, port);
        const basePath = await pushImage(b.engine, b.base, port);
        refs.set(t, { image: `${host.gateway}:${port}/${registryPath}`, base: `${host.gateway}:${port}/${basePath}` });
        results.set(t, { image: b.tag, base: b.base, registryPath, claimRate, pullingHost, link, cycles: [] });
      }

      const combos = allCombos(o);
      // The claims read the cold deploy at the first rate: without the cold case they have nothing to wait for.
      const claimCombo = o.cases.includes(CLAIM_CASE) ? { rate: claimRate, case: CLAIM_CASE } : null;
      const claimTargets = restingTargets('deploy', targets.map((t) => t.target)).size;
      const budgetS = claimBudgetS(ctx.load, ctx.claims.budgetS, deployS(claimRate, CLAIM_CASE) * claimTargets);
      const perRound = combos.reduce((s, c) => s + deployS(c.rate, c.case), 0);
      await runClaimRounds(
        targets,
        ctx,
        {
          label: 'deploys',
          trialS: perRound,
          result: (t) => results.get(t)!,
          trial: async (t, round) => {
            const name = t.target.decl.name;
            const r = results.get(t)!;
            // Every rate and case in the profile's rounds; after them only the deploy the claims read.
            const todo = round <= ctx.load.trials || !claimCombo ? combos : [claimCombo];
            for (const c of todo) {
              if (ctx.signal.aborted) throw ctx.signal.reason;
              const at = new Date().toISOString();
              const m = await deployOnce(host, { target: t.target, ...refs.get(t)!, case: c.case, rate: c.rate, delayMs: o.delayMs, cpus: ctx.pinning.targetCpus, memoryBytes: MEMORY_BYTES, readyTimeoutMs: READY_TIMEOUT_MS, signal: ctx.signal });
              r.cycles.push({ round, rate: c.rate, case: c.case, at, ...m });
              ctx.save(name, r);
              ctx.progress.info(`${name}: ${rateWords(c.rate)}, ${c.case}: pulled ${fmtMB(m.bytes)} in ${(m.pullMs / 1000).toFixed(2)} s, first 200 ${(m.startMs / 1000).toFixed(2)} s later: ${(m.totalMs / 1000).toFixed(2)} s`);
            }
          },
        },
        {},
        ctx.claims.minRounds,
        budgetS,
      );
    } finally {
      await host.stop();
    }
  },
};
