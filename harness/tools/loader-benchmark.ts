// Loader benchmark: is each load generator faster than the servers it measures? Every available
// loader gets ONE loader CPU, against a reference server that is not one of the targets (nginx on
// the target CPU, started and stopped here) and against each target; loaders alternate within every
// round, in a rotating order. Both tables go into README.md between markers, with the machine and
// the commit they came from.
//
//   npm run loader-benchmark -- [--targets node,deno] [--connections 64] [--duration 10] [--rounds 3] [--no-readme]
import { median } from 'simple-statistics';
import { parseFlags } from '../cli/args.ts';
import { parseDuration, parseList, parsePositiveInt } from '../config.ts';
import { collectEnvironment } from '../env/environment.ts';
import { errorMessage, UserError } from '../errors.ts';
import { createAutocannonLoader } from '../load/autocannon.ts';
import { resolveLoaderRuntime } from '../load/loader-runtime.ts';
import { createHttpLoader } from '../load/http/index.ts';
import { createWrkLoader } from '../load/wrk.ts';
import { fmtInt } from '../report/format.ts';
import { rotation } from '../run/rotation.ts';
import { cpuCount, planCpus } from '../runtime/cpus.ts';
import { LocalRuntime } from '../runtime/local.ts';
import { pinProcess } from '../runtime/pin-self.ts';
import { PROJECT_ROOT } from '../targets.ts';
import { requestedNames, selectTargets } from '../versions/select.ts';
import type { HttpLoader } from '../types.ts';
import { replaceReadmeBlock } from './readme-block.ts';
import { startNginx } from './reference-server.ts';

const START = '<!-- loader-benchmark:start -->';
const END = '<!-- loader-benchmark:end -->';

interface Reading {
  rps: number[];
  cpu: number[];
}

const label = (l: HttpLoader) => `${l.name === 'harness' ? "the harness's loader" : l.name} ${l.version}${l.runtime ? ` on ${l.runtime}` : ''}`;

/** Rounds of every loader against one URL, alternating; a warmup of each first. */
async function measure(url: string, loaders: HttpLoader[], o: { connections: number; durationS: number; rounds: number }, log: (line: string) => void): Promise<Map<HttpLoader, Reading>> {
  const out = new Map(loaders.map((l) => [l, { rps: [], cpu: [] } as Reading]));
  for (const l of loaders) await l.run({ url, connections: o.connections, durationS: 2, pipelining: 1 });
  for (let round = 1; round <= o.rounds; round++) {
    for (const l of rotation(loaders, round)) {
      const r = await l.run({ url, connections: o.connections, durationS: o.durationS, pipelining: 1 });
      if (r.errors + r.timeouts + r.non2xx > 0) log(`  ${label(l)} saw ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
      out.get(l)!.rps.push(r.rps);
      if (r.loaderCpuPct !== null) out.get(l)!.cpu.push(r.loaderCpuPct);
      log(`  round ${round}: ${label(l)} ${fmtInt(r.rps)} req/s, loader CPU ${r.loaderCpuPct?.toFixed(0) ?? '?'}%`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseFlags('loader-benchmark', process.argv.slice(2), {
    targets: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    'no-readme': { type: 'boolean' },
  });
  if (values.help) {
    console.log('Usage: npm run loader-benchmark -- [--targets node,deno] [--connections 64] [--duration 10] [--rounds 3] [--no-readme]');
    return;
  }
  const o = {
    connections: values.connections ? parsePositiveInt(values.connections, '--connections') : 64,
    durationS: values.duration ? parseDuration(values.duration, '--duration') : 10,
    rounds: values.rounds ? parsePositiveInt(values.rounds, '--rounds') : 3,
  };
  const targets = await selectTargets(requestedNames(values.targets ? parseList(values.targets) : undefined, {}), new LocalRuntime());
  const cpus = planCpus(cpuCount());
  // One loader CPU for every loader, so that the figures compare loaders, not core counts.
  const loaderCpu = [cpus.loaderCpus[0]!];
  await pinProcess(process.pid, cpus.loaderCpus);
  const wrk = createWrkLoader(loaderCpu);
  if (!wrk) throw new UserError('wrk is not installed; it is the reference loader this benchmark compares with.', 'sudo apt-get install -y wrk');
  const loaders: HttpLoader[] = [wrk, createAutocannonLoader(loaderCpu), createHttpLoader({ cpus: loaderCpu, runtime: await resolveLoaderRuntime('node') })];
  const bun = await resolveLoaderRuntime().catch(() => null);
  if (bun?.name === 'bun') loaders.push(createHttpLoader({ cpus: loaderCpu, runtime: bun }));
  else console.error('Bun does not run here: the harness loader is measured on Node only.');

  const log = (line: string) => console.error(line);
  const runtime = new LocalRuntime();
  process.on('SIGINT', () => void runtime.shutdown().then(() => process.exit(130)));
  const nginx = await startNginx({ cpu: cpus.targetCpus[0]! });
  let reference: Map<HttpLoader, Reading>;
  try {
    log(`nginx ${nginx.version} at ${nginx.url} on CPU ${cpus.targetCpus[0]}; each loader on CPU ${loaderCpu[0]}; ${o.connections} connections, ${o.rounds} rounds of ${o.durationS} s`);
    reference = await measure(`${nginx.url}`, loaders, o, log);
  } finally {
    await nginx.stop();
  }
  const perTarget: { name: string; versions: Record<string, string>; readings: Map<HttpLoader, Reading> }[] = [];
  try {
    for (const target of targets) {
      await runtime.prepare(target, log);
      const running = await runtime.start(target, { cpus: cpus.targetCpus, readyTimeoutMs: 60_000 });
      try {
        log(`${target.decl.name} at ${running.url}/json`);
        perTarget.push({ name: target.decl.name, versions: await runtime.versions(target), readings: await measure(`${running.url}/json`, loaders, o, log) });
      } finally {
        await running.stop();
      }
    }
  } finally {
    await runtime.shutdown();
  }

  const env = await collectEnvironment({ projectRoot: PROJECT_ROOT, loader: { name: 'several', version: '' }, pinning: { ...cpus, method: 'taskset', shared: [] } });
  const med = (r: Reading | undefined) => (r && r.rps.length ? median(r.rps) : NaN);
  const wrkRps = med(reference.get(wrk));
  const ours = loaders.filter((l) => l.name === 'harness');
  const best = Math.max(...ours.map((l) => med(reference.get(l))));
  const block = [
    START,
    `Measured by \`npm run loader-benchmark\` on ${new Date().toISOString().slice(0, 10)}, commit ${env.gitCommit?.slice(0, 12) ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}, on ${env.cpuModel} (${env.cores} cores): every loader on CPU ${loaderCpu[0]}, the server on CPU ${cpus.targetCpus[0]}, ${o.connections} connections, closed loop, ${o.rounds} rounds of ${o.durationS} s with the loaders alternating.`,
    '',
    `Against a reference server that is not a target (nginx ${nginx.version}, one worker, a fixed \`/json\` body):`,
    '',
    '| loader | median req/s | loader CPU | / wrk |',
    '| --- | --- | --- | --- |',
    ...loaders.map((l) => {
      const r = reference.get(l)!;
      return `| ${label(l)} | ${fmtInt(med(r))} | ${r.cpu.length ? `${median(r.cpu).toFixed(0)}%` : 'n/a'} | ${(med(r) / wrkRps).toFixed(2)} |`;
    }),
    '',
    `The harness's loader reaches **${(best / wrkRps).toFixed(2)}x** wrk here. A loader near 100% of its CPU measures itself: the harness flags such trials \`loaderBound\`.`,
    '',
    'Against the targets (`GET /json`), median req/s:',
    '',
    `| target | ${loaders.map(label).join(' | ')} |`,
    `| --- | ${loaders.map(() => '---').join(' | ')} |`,
    ...perTarget.map((t) => `| ${t.name} (${Object.entries(t.versions).slice(0, 2).map(([k, v]) => `${k} ${v}`).join(', ')}) | ${loaders.map((l) => fmtInt(med(t.readings.get(l)))).join(' | ')} |`),
    END,
  ].join('\n');
  console.log(block);
  if (!values['no-readme']) {
    replaceReadmeBlock(START, END, block);
    console.error('README.md updated.');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exitCode = error instanceof UserError ? 2 : 1;
  });
}
