// WebSocket round-trip cross-check: does the harness's WebSocket loader measure the echo round trip
// that an independent client measures? The same target (default: node), the same clients, rate and
// message, the same definition (open loop, round trips from each message's actual send time); the loader and
// a plain `ws` client (harness/tools/ws-plain-client.mjs, on the host's Node) take turns, round by
// round, each pinned to the same loader CPU. The medians of their p50 and p95 and the ratios go into
// README.md between markers.
//
//   node --import tsx harness/tools/ws-rtt-check.ts [--target node] [--clients 200] [--rate 5] [--duration 5] [--rounds 5] [--no-readme]
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median } from 'simple-statistics';
import { parseFlags } from '../cli/args.ts';
import { parseDuration, parsePositiveInt } from '../config.ts';
import { collectEnvironment } from '../env/environment.ts';
import { errorMessage, UserError } from '../errors.ts';
import { resolveLoaderRuntime } from '../load/loader-runtime.ts';
import { createWsLoader } from '../load/ws/index.ts';
import { cpuCount, planCpus } from '../runtime/cpus.ts';
import { LocalRuntime } from '../runtime/local.ts';
import { pinProcess } from '../runtime/pin-self.ts';
import { PROJECT_ROOT } from '../targets.ts';
import { requestedNames, selectTargets } from '../versions/select.ts';
import { replaceReadmeBlock } from './readme-block.ts';

const START = '<!-- ws-rtt-check:start -->';
const END = '<!-- ws-rtt-check:end -->';
const PLAIN_CLIENT = fileURLToPath(new URL('./ws-plain-client.mjs', import.meta.url));
const run = promisify(execFile);

interface Rtt {
  p50: number;
  p95: number;
}

/** One trial of the independent client, pinned to `cpu`. */
export async function plainClientTrial(url: string, o: { clients: number; rate: number; durationS: number; cpu: number }): Promise<Rtt & { sendP50: number; sendP95: number; sent: number; received: number }> {
  const { stdout } = await run('taskset', ['-c', String(o.cpu), process.execPath, PLAIN_CLIENT, url, String(o.clients), String(o.rate), String(o.durationS)], { timeout: (o.durationS + 30) * 1000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Rtt & { sendP50: number; sendP95: number; sent: number; received: number };
}

async function main(): Promise<void> {
  const { values } = parseFlags('ws-rtt-check', process.argv.slice(2), {
    target: { type: 'string' },
    clients: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    'no-readme': { type: 'boolean' },
  });
  if (values.help) {
    console.log('Usage: node --import tsx harness/tools/ws-rtt-check.ts [--target node] [--clients 200] [--rate 5] [--duration 5] [--rounds 5] [--no-readme]');
    return;
  }
  const o = {
    clients: values.clients ? parsePositiveInt(values.clients, '--clients') : 200,
    rate: values.rate ? parsePositiveInt(values.rate, '--rate') : 5,
    durationS: values.duration ? parseDuration(values.duration, '--duration') : 5,
    rounds: values.rounds ? parsePositiveInt(values.rounds, '--rounds') : 5,
  };
  const [target] = await selectTargets(requestedNames([values.target ?? 'node'], {}, undefined, '--target'), new LocalRuntime());
  if (target!.decl.websocket?.socketio) throw new UserError(`${target!.decl.name} speaks Socket.IO; the plain client speaks WebSocket only.`, 'Use --target node or deno.');
  const cpus = planCpus(cpuCount());
  const cpu = cpus.loaderCpus[0]!;
  await pinProcess(process.pid, cpus.loaderCpus);
  const loaderRuntime = await resolveLoaderRuntime();
  const loader = createWsLoader({ cpus: [cpu], runtime: loaderRuntime });
  const runtime = new LocalRuntime();
  process.on('SIGINT', () => void runtime.shutdown().then(() => process.exit(130)));
  const loaderRtt: Rtt[] = [];
  const plainRtt: Rtt[] = [];
  const plainFromSend: Rtt[] = [];
  try {
    await runtime.prepare(target!, (line) => console.error(line));
    const running = await runtime.start(target!, { cpus: cpus.targetCpus, readyTimeoutMs: 60_000 });
    const url = `${running.url.replace(/^http/, 'ws')}/ws/echo`;
    console.error(`${target!.decl.name} at ${url} on CPUs ${cpus.targetCpus.join(',')}; loader and plain client on CPU ${cpu}; ${o.clients} clients x ${o.rate}/s, ${o.rounds} rounds of ${o.durationS} s`);
    await loader.echo({ url, clients: o.clients, ratePerClient: o.rate, durationS: 1 }); // warmup
    for (let round = 1; round <= o.rounds; round++) {
      // Alternate which goes first, so that neither always follows the other's load.
      const order = round % 2 ? ['loader', 'plain'] : ['plain', 'loader'];
      for (const who of order) {
        if (who === 'loader') {
          const e = await loader.echo({ url, clients: o.clients, ratePerClient: o.rate, durationS: o.durationS });
          loaderRtt.push({ p50: e.rtt.latencyMs.p50, p95: e.rtt.latencyMs.p95 });
          console.error(`  round ${round}: loader p50 ${e.rtt.latencyMs.p50.toFixed(3)} ms, p95 ${e.rtt.latencyMs.p95.toFixed(3)} ms (${e.rtt.received}/${e.rtt.sent})`);
        } else {
          const p = await plainClientTrial(url, { ...o, cpu });
          plainRtt.push({ p50: p.p50, p95: p.p95 });
          plainFromSend.push({ p50: p.sendP50, p95: p.sendP95 });
          console.error(`  round ${round}: plain ws p50 ${p.p50.toFixed(3)} ms, p95 ${p.p95.toFixed(3)} ms; from its actual send p50 ${p.sendP50.toFixed(3)} ms, p95 ${p.sendP95.toFixed(3)} ms (${p.received}/${p.sent})`);
        }
      }
    }
    const versions = await runtime.versions(target!);
    const env = await collectEnvironment({ projectRoot: PROJECT_ROOT, loader: { name: 'harness-ws', version: '1', runtime: `${loaderRuntime.name} ${loaderRuntime.version}` }, pinning: { ...cpus, method: 'taskset', shared: [] } });
    const m = (xs: Rtt[], k: keyof Rtt) => median(xs.map((x) => x[k]));
    const row = (k: keyof Rtt) => `| ${k} | ${m(loaderRtt, k).toFixed(3)} | ${m(plainFromSend, k).toFixed(3)} | ${(m(loaderRtt, k) / m(plainFromSend, k)).toFixed(2)} | ${m(plainRtt, k).toFixed(3)} |`;
    const block = [
      START,
      `Measured by \`npm run ws-rtt-check\` on ${new Date().toISOString().slice(0, 10)}, commit ${env.gitCommit?.slice(0, 12) ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}, on ${env.cpuModel} (${env.cores} cores): the ${target!.decl.name} target (${Object.entries(versions).slice(0, 2).map(([k, v]) => `${k} ${v}`).join(', ')}) on CPU ${cpus.targetCpus.join(',')}, ${o.clients} clients each sending ${o.rate} messages/s (open loop), ${o.rounds} alternating rounds of ${o.durationS} s; the harness's loader on ${loaderRuntime.name} ${loaderRuntime.version} and a plain \`ws\` client on Node ${process.versions.node}, each on CPU ${cpu}.`,
      '',
      '| echo round trip, median over rounds | harness loader ms | plain `ws` client ms | loader / plain | plain client, from its scheduled send ms |',
      '| --- | --- | --- | --- | --- |',
      row('p50'),
      row('p95'),
      '',
      "Both clocks start at each message's actual send time (the loader reads a high-resolution clock at the write and keeps its schedule's lateness apart), so that the two figures compare round trips rather than schedulers; the last column shows the plain client's round trips from its scheduled send time, its timer lateness (Node's timers fire up to a few ms late) included.",
      END,
    ].join('\n');
    console.log(block);
    if (!values['no-readme']) {
      replaceReadmeBlock(START, END, block);
      console.error('README.md updated.');
    }
  } finally {
    await runtime.shutdown();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exitCode = error instanceof UserError ? 2 : 1;
  });
}
