// Loader benchmark: does our HTTP loader (autocannon, one pinned core) measure the server or itself?
// Runs the harness's loader and wrk, alternately, against the same target at the same connection
// count, with the target and the loader on disjoint CPUs, and writes the ratio into README.md
// between markers, with the machine and commit it came from.
//
//   npm run loader-benchmark -- [--target node] [--connections 64] [--duration 10] [--rounds 3] [--no-readme]
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { median } from 'simple-statistics';
import { parseFlags } from '../cli/args.ts';
import { parseDuration, parsePositiveInt } from '../config.ts';
import { collectEnvironment } from '../env/environment.ts';
import { errorMessage, UserError } from '../errors.ts';
import { createAutocannonLoader } from '../load/http-loader.ts';
import { cpuCount, planCpus } from '../runtime/cpus.ts';
import { LocalRuntime } from '../runtime/local.ts';
import { loadAllTargets, PROJECT_ROOT, selectByName } from '../targets.ts';
import { fmtInt } from '../report/format.ts';

const START = '<!-- loader-benchmark:start -->';
const END = '<!-- loader-benchmark:end -->';

export function parseWrkOutput(text: string): { rps: number; non2xx: number; errors: number } {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`could not read Requests/sec from wrk's output:\n${text}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return { rps, non2xx, errors };
}

async function main(): Promise<void> {
  const { values } = parseFlags('loader-benchmark', process.argv.slice(2), {
    target: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    'no-readme': { type: 'boolean' },
  });
  if (values.help) {
    console.log('Usage: npm run loader-benchmark -- [--target node] [--connections 64] [--duration 10] [--rounds 3] [--no-readme]');
    return;
  }
  const wrk = await execa('wrk', ['--version'], { reject: false });
  if (wrk.failed && wrk.code === 'ENOENT') throw new UserError('wrk is not installed; it is the reference loader this benchmark compares with.', 'sudo apt-get install -y wrk');
  const [target] = selectByName(loadAllTargets(), (t) => t.decl.name, [values.target ?? 'node'], 'target', '--target');
  const connections = values.connections ? parsePositiveInt(values.connections, '--connections') : 64;
  const durationS = values.duration ? parseDuration(values.duration, '--duration') : 10;
  const rounds = values.rounds ? parsePositiveInt(values.rounds, '--rounds') : 3;
  const cpus = planCpus(cpuCount());
  const loader = createAutocannonLoader(cpus.loaderCpus);
  const runtime = new LocalRuntime();
  process.on('SIGINT', () => void runtime.shutdown().then(() => process.exit(130)));

  await runtime.prepare(target!, (line) => console.error(line));
  const running = await runtime.start(target!, { cpus: cpus.targetCpus, readyTimeoutMs: 60_000 });
  const url = `${running.url}/json`;
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  try {
    console.error(`${target!.decl.name} at ${url} on CPUs ${cpus.targetCpus.join(',')}; loaders on CPUs ${cpus.loaderCpus.join(',')}; ${connections} connections, ${durationS} s, ${rounds} rounds`);
    await loader.run({ url, connections, durationS: 3, pipelining: 1 }); // warmup
    for (let round = 1; round <= rounds; round++) {
      const a = await loader.run({ url, connections, durationS, pipelining: 1 });
      ours.push(a.rps);
      if (a.loaderCpuPct !== null) oursCpu.push(a.loaderCpuPct);
      const w = await execa('taskset', ['-c', cpus.loaderCpus.join(','), 'wrk', `-t${cpus.loaderCpus.length}`, `-c${connections}`, `-d${durationS}s`, '--latency', url], { reject: false });
      const parsed = parseWrkOutput(String(w.stdout));
      if (parsed.errors + parsed.non2xx > 0) console.error(`  wrk saw ${parsed.errors} socket errors and ${parsed.non2xx} non-2xx responses`);
      theirs.push(parsed.rps);
      console.error(`  round ${round}: autocannon ${fmtInt(a.rps)} req/s (loader CPU ${a.loaderCpuPct?.toFixed(0)}%), wrk ${fmtInt(parsed.rps)} req/s`);
    }
  } finally {
    await runtime.shutdown();
  }
  const versions = await runtime.versions(target!);
  const env = await collectEnvironment({ projectRoot: PROJECT_ROOT, loader: { name: loader.name, version: loader.version }, pinning: { ...cpus, method: 'taskset', shared: [] } });
  const ratio = median(ours) / median(theirs);
  const wrkVersion = /wrk (\S+)/.exec(String(wrk.stdout) + String(wrk.stderr))?.[1] ?? 'unknown';
  const cpu = median(oursCpu).toFixed(0);
  const agree = Math.abs(ratio - 1) <= 0.1;
  const verdict = agree
    ? `The two agree within ${(Math.abs(ratio - 1) * 100).toFixed(0)}%, so at this rate the figure is the server's. autocannon used ${cpu}% of its core; trials above 90% are still flagged \`loaderBound\`, conservatively.`
    : ratio < 1
      ? `autocannon (${cpu}% of its core) gives out before the server: figures of trials flagged \`loaderBound\` are the loader's limit, not the server's.`
      : `autocannon measured more than wrk; check the wrk output above for errors.`;
  const block = [
    START,
    `Measured by \`npm run loader-benchmark\` on ${new Date().toISOString().slice(0, 10)}, commit ${env.gitCommit?.slice(0, 12) ?? 'unknown'}, on ${env.cpuModel} (${env.cores} cores): target \`${target!.decl.name}\` (${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}) on CPU ${cpus.targetCpus.join(',')}, each loader on CPU ${cpus.loaderCpus.join(',')}, ${connections} connections, ${rounds} alternating rounds of ${durationS} s.`,
    '',
    '| loader | median req/s |',
    '| --- | --- |',
    `| autocannon ${loader.version} (the harness) | ${fmtInt(median(ours))} |`,
    `| wrk ${wrkVersion} | ${fmtInt(median(theirs))} |`,
    '',
    `autocannon / wrk = **${ratio.toFixed(2)}**. ${verdict}`,
    END,
  ].join('\n');
  console.log(block);
  if (!values['no-readme']) {
    const readme = path.join(PROJECT_ROOT, 'README.md');
    const text = fs.readFileSync(readme, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    if (start < 0 || end < start) throw new UserError(`README.md has no ${START} ... ${END} markers.`, 'Add them where the result should go, or pass --no-readme.');
    fs.writeFileSync(readme, text.slice(0, start) + block + text.slice(end + END.length));
    console.error('README.md updated.');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exitCode = error instanceof UserError ? 2 : 1;
  });
}
