// `bench run`: the main job. Plans targets × scenarios × load, runs them, keeps results after every
// trial, writes the reports, and sets the exit code from what happened.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadShapeFor, loadUserConfig, parseConfidence, parseConnections, parseDuration, parseList, parsePositiveInt, PROFILES, profileDescription, type UserConfig } from '../../config.ts';
import { UserError } from '../../errors.ts';
import { collectEnvironment, gitHead } from '../../env/environment.ts';
import { createLoader, createWsLoaderNamed, DEFAULT_LOADER, DEFAULT_WS_LOADER, LOADER_NAMES, parseLoaderName, parseWsLoaderName, WS_LOADER_NAMES } from '../../load/index.ts';
import { executeRun } from '../../run/execute.ts';
import { optionDeclarations, optionFlags, optionPhrases, optionsHelp, resolveOptions } from '../../run/options.ts';
import { plannedSeconds, servicesNeeded } from '../../run/plan.ts';
import { markKilledRuns } from '../../results/liveness.ts';
import { evaluateClaims } from '../../claims/evaluate.ts';
import { kindOf, scenarioOrder } from '../../results/scenario-kinds.ts';
import { markLatest, newRunId, ResultsStore } from '../../results/store.ts';
import { RESULTS_SCHEMA_VERSION } from '../../schema.ts';
import { cpuCount, describeSharing, parseCpuList, planCpus } from '../../runtime/cpus.ts';
import { pinProcess } from '../../runtime/pin-self.ts';
import { PROJECT_ROOT, selectByName } from '../../targets.ts';
import { parseTargetRef, parseVersionsMatrix } from '../../versions/refs.ts';
import { requestedNames, selectTargets } from '../../versions/select.ts';
import type { ProfileName, RunLoaders, Target } from '../../types.ts';
import type { TargetInfo } from '../../schema.ts';
import { scenarios as allScenarios } from '../../../scenarios/index.ts';
import { parseFlags } from '../args.ts';
import { ConsoleProgress } from '../progress.ts';
import { createRuntime, DEFAULT_RUNTIME, parseRuntimeChoice, runtimeChoicesHelp } from '../../runtime/registry.ts';
import { fmtDuration } from '../../report/format.ts';
import { writeQuickReports, writeReports } from '../write-reports.ts';
import { installInterruptHandler } from '../interrupt.ts';
import { checkHosts, connectOptions, describeHosts, HOST_FLAGS, HOST_HELP, hostSpecs } from '../../hosts/run-hosts.ts';
import { planHostCpus } from '../../hosts/cpus.ts';
import { runtimeCan } from '../../runtime/registry.ts';

export const RESULTS_ROOT = path.join(PROJECT_ROOT, 'results');

/** The options the scenarios own (run/options.ts): their flags join the run's, their keys bench.config.ts's fields. */
const OPTIONS = optionDeclarations(allScenarios);

export const runHelp = `Usage: npm run bench -- run [options]

Runs the scenarios against the targets and writes results/<run-id>/results.json and report.md
(results/latest points at the newest run). Results are saved after every trial; Ctrl-C stops
cleanly and keeps what was measured.

Options:
  --targets a,b         targets to run (default: all; see \`list\`), each optionally @version:
                        node@25, django@5.2, or a git revision of its folder (node@main, django@HEAD~3)
  --versions T=V,V ...  a matrix: each target named runs in each version, e.g.
                        --versions node=24,25,26 django=4.2,5.2,6.1 (in bench.config.ts: versions)
  --scenarios a,b       scenarios to run (default: all; see \`list\`)
  --profile NAME        quick (default): ${profileDescription('quick', optionPhrases(OPTIONS, 'quick'))}
                        full: ${profileDescription('full', optionPhrases(OPTIONS, 'full'))}
  --runtime NAME        ${runtimeChoicesHelp()}
  --connections LIST    connection levels, e.g. 16,64,256 (overrides the profile)
  --duration SECONDS    length of each trial, e.g. 10 or 10s
  --warmup SECONDS      warmup before each connection level (0 for none)
  --trials N            the least rounds (one trial per target each) per level of a sweep and
                        before claim rounds may stop (quick ${PROFILES.quick.trials}, full ${PROFILES.full.trials})
  --max-rounds N        claim rounds: at most N per scenario (quick ${PROFILES.quick.claimRounds.max}, full ${PROFILES.full.claimRounds.max})
  --budget SECONDS      claim rounds: no new round once this long has passed in a scenario after its
                        least rounds (quick ${PROFILES.quick.claimRounds.budgetS} s, full ${PROFILES.full.claimRounds.budgetS} s); the rounds stop earlier once
                        every claim resting on the scenario is decided
  --confidence LEVEL    the claims' anytime-valid intervals, e.g. 95% (default) or 0.99
  --loader NAME         ${LOADER_NAMES.join(', ')} (default harness: the harness's own loader, one
                        worker per loader CPU, run by Bun from npm where it runs)
  --ws-loader NAME      the WebSocket scenarios' loader: ${WS_LOADER_NAMES.join(', ')} (default ${DEFAULT_WS_LOADER})
  --rate R              open loop: every HTTP trial sends R requests/s in total, latency from each
                        request's intended send time (default: closed loop, as TechEmpower)
${optionsHelp(OPTIONS).join('\n')}
  --target-cpus LIST    CPUs for the target, e.g. 1 or 2-3 (default: upper half of the CPUs)
  --loader-cpus LIST    CPUs for the load generator and the harness itself (default: lower half)
  --service-cpus LIST   CPUs for the services (PostgreSQL, Redis) (default: the loader's on
                        fewer than 4 cores, else one of the lower half of their own)
${HOST_HELP}
  --out DIR             output folder (default: results/<run-id>)
  --config FILE         configuration file (default: bench.config.ts if present)
  -h, --help            this help

Exit code: 0 when every measurement is ok or skipped, 1 when one failed or was invalid,
2 on bad input, 130 when interrupted.`;

/** The run's own flags; the scenarios' options add theirs (OPTIONS). */
const RUN_FLAGS = {
  targets: { type: 'string' },
  versions: { type: 'string', multiple: true },
  scenarios: { type: 'string' },
  profile: { type: 'string' },
  runtime: { type: 'string' },
  connections: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  trials: { type: 'string' },
  'max-rounds': { type: 'string' },
  budget: { type: 'string' },
  confidence: { type: 'string' },
  loader: { type: 'string' },
  'ws-loader': { type: 'string' },
  rate: { type: 'string' },
  'target-cpus': { type: 'string' },
  'loader-cpus': { type: 'string' },
  'service-cpus': { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  ...HOST_FLAGS,
} as const;

export async function runCommand(argv: string[]): Promise<number> {
  const { values: parsed, positionals } = parseFlags('run', argv, { ...RUN_FLAGS, ...optionFlags(OPTIONS, [...Object.keys(RUN_FLAGS), 'help']) }, true);
  const values = parsed as { [K in Exclude<keyof typeof RUN_FLAGS, 'versions' | 'insecure-engines'>]?: string } & { versions?: string[]; help?: boolean; 'insecure-engines'?: boolean } & Record<string, string | string[] | boolean | undefined>;
  // `--versions node=24,25 django=5.2,6.1`: the entries after the first arrive as positionals.
  const stray = positionals.filter((p) => !/^[a-z][a-z0-9-]*=/.test(p));
  if (stray.length) throw new UserError(`run: unexpected argument "${stray[0]}".`, 'See `npm run bench -- run --help`.');
  if (positionals.length && !values.versions) throw new UserError(`run: "${positionals[0]}" follows no --versions.`, 'Write --versions node=24,25,26 django=4.2,5.2.');
  if (values.help) {
    console.log(runHelp);
    return 0;
  }
  const configFile = values.config ?? path.join(PROJECT_ROOT, 'bench.config.ts');
  if (values.config && !fs.existsSync(values.config)) throw new UserError(`--config: ${values.config} does not exist.`, 'Give the path of a bench.config.ts file.');
  const config: UserConfig = await loadUserConfig(configFile, OPTIONS.map((d) => d.key));
  if (values.profile !== undefined && values.profile !== 'quick' && values.profile !== 'full') {
    throw new UserError(`--profile: "${values.profile}" is not a profile.`, 'Allowed values: quick, full.');
  }
  const profile: ProfileName = (values.profile as ProfileName | undefined) ?? config.profile ?? 'quick';
  const overrides: UserConfig = {
    ...config,
    ...(values.connections !== undefined && { connections: parseConnections(values.connections) }),
    ...(values.duration !== undefined && { durationS: parseDuration(values.duration, '--duration') }),
    ...(values.warmup !== undefined && { warmupS: values.warmup === '0' ? 0 : parseDuration(values.warmup, '--warmup') }),
    ...(values.trials !== undefined && { trials: parsePositiveInt(values.trials, '--trials') }),
    ...(values['max-rounds'] !== undefined && { maxRounds: parsePositiveInt(values['max-rounds'], '--max-rounds') }),
    ...(values.budget !== undefined && { budgetS: parseDuration(values.budget, '--budget') }),
    ...(values.confidence !== undefined && { confidence: parseConfidence(values.confidence) }),
    ...(values.rate !== undefined && { rate: parsePositiveInt(values.rate, '--rate') }),
  };
  const options = resolveOptions(OPTIONS, profile, { config: config.options, configFile, flags: values as Record<string, string | undefined> });
  const loaderName = values.loader !== undefined ? parseLoaderName(values.loader, '--loader') : parseLoaderName(config.loader ?? DEFAULT_LOADER, `loader in ${path.relative(process.cwd(), configFile)}`);
  const wsLoaderName = values['ws-loader'] !== undefined ? parseWsLoaderName(values['ws-loader'], '--ws-loader') : parseWsLoaderName(config.wsLoader ?? DEFAULT_WS_LOADER, `wsLoader in ${path.relative(process.cwd(), configFile)}`);
  const load = loadShapeFor(profile, overrides);
  const matrix = values.versions ? parseVersionsMatrix([...values.versions, ...positionals]) : (config.versions ?? {});
  const names = requestedNames(values.targets !== undefined ? parseList(values.targets) : config.targets, matrix);
  const scenarios = selectByName(allScenarios, (s) => s.name, values.scenarios !== undefined ? parseList(values.scenarios) : config.scenarios, 'scenario', '--scenarios');
  const cpuFlags = {
    target: values['target-cpus'] !== undefined ? parseCpuList(values['target-cpus'], '--target-cpus') : config.targetCpus,
    loader: values['loader-cpus'] !== undefined ? parseCpuList(values['loader-cpus'], '--loader-cpus') : config.loaderCpus,
    service: values['service-cpus'] !== undefined ? parseCpuList(values['service-cpus'], '--service-cpus') : config.serviceCpus,
  };
  let cpus = planCpus(cpuCount(), cpuFlags.target, cpuFlags.loader, cpuFlags.service);
  const runtimeChoice = values.runtime !== undefined ? parseRuntimeChoice(values.runtime) : parseRuntimeChoice(config.runtime ?? DEFAULT_RUNTIME, `runtime in ${path.relative(process.cwd(), configFile)}`);
  const specs = hostSpecs(values, config);
  const connect = connectOptions(values, config, path.dirname(configFile));
  checkHosts(specs, connect, await runtimeCan(runtimeChoice, 'hosts'), runtimeChoice);
  const runId = newRunId();
  const runDir = path.resolve(values.out ?? config.out ?? path.join(RESULTS_ROOT, runId));
  const logDir = path.join(runDir, 'logs');
  const gitCommit = await gitHead(PROJECT_ROOT);
  for (const dir of markKilledRuns(RESULTS_ROOT)) console.error(`Note: the run in ${path.relative(process.cwd(), dir)} was killed (its harness process is gone); it is now marked 'killed'. Its results so far are kept.`);
  const { runtime, engine, hosts } = await createRuntime(runtimeChoice, { logDir, gitCommit, hosts: { specs, connect, log: (line) => console.error(line) } });
  // Each host's facts and clock before anything starts; each machine's CPUs split between its roles.
  const hostRecords = hosts ? await hosts.records().catch(async (error: unknown) => {
    await runtime.shutdown();
    throw error;
  }) : undefined;
  let shared: string[] | undefined;
  if (hosts && hostRecords) ({ cpus, shared } = planHostCpus(hosts.plan, hostRecords, cpuFlags, servicesNeeded(scenarios).length > 0));
  // The harness's own polling and sampling must not run on the target's CPUs.
  const pinned = await pinProcess(process.pid, cpus.harnessCpus);
  // Each version in its own folder; one this runtime cannot supply is skipped, saying which runtime can.
  const targets = await selectTargets(names, runtime).catch(async (error: unknown) => {
    await runtime.shutdown();
    throw error;
  });
  fs.mkdirSync(logDir, { recursive: true });
  const usesServices = servicesNeeded(scenarios).length > 0;

  // The run's loaders, made once here and handed to every scenario (ctx.loaders).
  const placement = (await hosts?.loaderPlacement()) ?? undefined;
  const loaders: RunLoaders = {
    http: await createLoader(loaderName, cpus.loaderCpus, placement),
    ws: await createWsLoaderNamed(wsLoaderName, cpus.loaderCpus, placement),
  };
  const loader = loaders.http;
  const environment = await collectEnvironment({
    projectRoot: PROJECT_ROOT,
    loader: { name: loader.name, version: loader.version, ...(loader.runtime && { runtime: loader.runtime }) },
    pinning: {
      ...cpus,
      harnessCpus: pinned ? cpus.harnessCpus : null,
      method:
        runtime.can.unit !== 'container'
          ? 'taskset (target, loader, services, harness), target on CPUs of its own'
          : placement
            ? `cpuset (containers, the loader's workers on ${placement.hostName} too) and taskset (harness), target on CPUs of its own`
            : 'cpuset (containers) and taskset (loader, harness), target on CPUs of its own',
      shared: shared ?? describeSharing(cpus, usesServices),
    },
    engine: engine ? { name: engine.name, version: engine.version, apiVersion: engine.apiVersion, socket: engine.socket } : undefined,
    ...(hostRecords && { hosts: hostRecords }),
  });
  const store = new ResultsStore(runDir, {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId,
    startedAt: new Date().toISOString(),
    state: 'running',
    harness: { pid: process.pid, hostname: os.hostname() },
    profile,
    runtime: runtime.name,
    command: `npm run bench -- run ${argv.join(' ')}`.trim(),
    environment,
    targets: Object.fromEntries(
      targets.map((t) => [
        t.decl.name,
        { ...targetInfo(t), ...(hosts && { host: hosts.plan.target.name }) },
      ]),
    ),
    services: [],
    load: { ...load, ...options },
    measurements: [],
    confidence: load.confidence,
  });
  if (!values.out && !config.out) markLatest(RESULTS_ROOT, runDir);

  const planned = plannedSeconds(targets, scenarios, load, profile, runtime, options);
  console.error(
    `Run ${runId}: ${targets.length} target(s) × ${scenarios.length} scenario(s), profile ${profile}, runtime ${runtime.name}; ` +
      `target on CPUs ${cpus.targetCpus.join(',')}, loader${usesServices ? `, services` : ''} and harness on CPUs ${cpus.loaderCpus.join(',')}${pinned ? '' : ' (the harness could not pin itself)'}; targets interleaved within each scenario; at most ${fmtDuration(planned)} of load plus preparation (claim rounds stop earlier once their claims are decided).\nResults: ${path.relative(process.cwd(), runDir) || '.'}`,
  );
  printTargets(targets);
  if (hostRecords) console.error(`Hosts:\n${describeHosts(hostRecords).join('\n')}`);
  const progress = new ConsoleProgress(planned);
  const interrupt = installInterruptHandler(runtime);
  try {
    await executeRun({
      store,
      profile,
      targets,
      scenarios,
      runtime,
      load,
      options,
      loaders,
      cpus,
      loaderBoundPct: config.loaderBoundPct ?? 90,
      readyTimeoutMs: (config.readyTimeoutS ?? 60) * 1000,
      progress,
      signal: interrupt.signal,
      afterMeasurement: () => writeQuickReports(runDir, store.results),
    });
    store.results.state = interrupt.signal.aborted ? 'interrupted' : 'done';
  } catch (error) {
    store.results.state = interrupt.signal.aborted ? 'interrupted' : 'crashed';
    throw error;
  } finally {
    await runtime.shutdown();
    store.results.finishedAt = new Date().toISOString();
    store.save();
    await writeReports(runDir, store.results).catch((error: unknown) => console.error(`warning: could not render the HTML report and charts (${(error as Error).message}); report.md and results.json are written.`));
    interrupt.dispose();
  }

  printSummary(store.results.measurements);
  printClaims(store.results);
  console.error(`\nWrote ${path.relative(process.cwd(), path.join(runDir, 'results.json'))}, report.md, report.html and charts/ (${fmtDuration(progress.elapsedS())}).`);
  if (interrupt.signal.aborted) return 130;
  return store.results.measurements.some((m) => m.status === 'failed' || m.status === 'invalid') ? 1 : 0;
}

/** The run's targets in results.json before anything is measured; the running server's versions come later. */
function targetInfo(t: Target): TargetInfo {
  const d = t.decl;
  const { python: _python, ...version } = t.version ?? ({} as NonNullable<Target['version']>);
  return {
    name: d.name,
    title: d.title,
    language: d.language,
    framework: d.framework,
    server: d.server,
    baseline: d.baseline,
    versions: {},
    ...(d.database && { database: d.database }),
    ...(d.websocket && { websocket: d.websocket }),
    ...(t.version && { family: parseTargetRef(d.name).family, version: version as NonNullable<TargetInfo['version']> }),
    ...(t.aliases && { aliases: t.aliases }),
  };
}

/** Each target with its version, and those this runtime cannot run with the reason, before the run starts. */
function printTargets(targets: Target[]): void {
  if (!targets.some((t) => t.version)) return;
  console.error('Targets:');
  for (const t of targets) {
    const v = t.version;
    const what = v ? (v.kind === 'revision' ? `revision ${v.key} (${v.commit!.slice(0, 12)}: ${v.about})` : `${v.about}${v.isDefault ? ', the default here' : ''}`) : t.decl.title;
    console.error(`  ${t.decl.name.padEnd(18)} ${t.cannotRun ? `skipped: ${t.cannotRun}` : what}`);
  }
}

function printSummary(measurements: ResultsStore['results']['measurements']): void {
  console.error('\nSummary:');
  const order = scenarioOrder(measurements.map((m) => m.scenario));
  const sorted = [...measurements].sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario) || a.target.localeCompare(b.target));
  for (const m of sorted) {
    const kind = kindOf(m);
    const figure = m.result !== undefined && kind ? kind.summaryLine(m.result) : '';
    console.error(`  ${m.target.padEnd(14)} ${m.scenario.padEnd(10)} ${m.status.padEnd(8)} ${figure}${m.error ? ` ${m.error.split('\n')[0]}` : ''}`);
  }
}

function printClaims(results: ResultsStore['results']): void {
  console.error("\nThe article's claims (ratios pair by pair, each interval with its confidence level):");
  for (const v of evaluateClaims(results)) console.error(`  ${v.verdict.toUpperCase().padEnd(12)} ${v.claim.id.padEnd(26)} ${['decided', 'budget', 'open', 'limit'].includes(v.decision.how) ? `${v.decision.text}: ` : ''}${v.reason}`);
}
