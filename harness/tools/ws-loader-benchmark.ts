// WebSocket loader benchmark: how many concurrent clients the harness's WebSocket loader holds on
// its CPU, how fast it opens them, and what each costs it in memory, against a reference server
// that is not a target (Bun.serve's WebSocket server, on uWebSockets, echoing; several processes
// sharing the port with SO_REUSEPORT when one process may not open enough descriptors), on the
// target's CPU. A capacity ramp with a wide RTT limit, so that the loader's limits show.
//
// With --server node, the same ramp against the node target (node:http + ws, one worker on the
// target's CPU), which a target process's open-files limit caps. The tables go into README.md
// between markers, with the machine and the commit.
//
//   node --import tsx harness/tools/ws-loader-benchmark.ts [--server reference|node] [--clients 100000] [--step 10000] [--runtime bun|node] [--rtt-limit 1000] [--no-readme]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags } from '../cli/args.ts';
import { parsePositiveInt } from '../config.ts';
import { errorMessage, UserError } from '../errors.ts';
import { findBun, resolveLoaderRuntime } from '../load/loader-runtime.ts';
import { createWsLoader, WS_WORKER_PATH } from '../load/ws/index.ts';
import { loaderLimits, openFilesPlan } from '../load/ws/limits.ts';
import { cpuCount, planCpus } from '../runtime/cpus.ts';
import { pinProcess } from '../runtime/pin-self.ts';
import { freePort } from '../runtime/ports.ts';
import { readProcStat } from '../runtime/process-tree.ts';
import { LocalRuntime } from '../runtime/local.ts';
import { collectEnvironment } from '../env/environment.ts';
import { loadAllTargets, PROJECT_ROOT, selectByName } from '../targets.ts';
import { replaceReadmeBlock } from './readme-block.ts';

const SERVER = `
const port = Number(process.argv[2]);
Bun.serve({
  hostname: '127.0.0.1',
  port,
  reusePort: true,
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('not found', { status: 404 });
  },
  // No idle timeout: a ramp holds clients that say nothing between samples.
  websocket: { idleTimeout: 0, perMessageDeflate: false, message(ws, m) { ws.send(m); } },
});
console.log('listening');
`;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Resident memory of the loader's workers, summed. */
function workersRssBytes(): number {
  let total = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(WS_WORKER_PATH)) continue;
      total += readProcStat(Number(name))?.rssBytes ?? 0;
    } catch {
      // gone
    }
  }
  return total;
}

async function startServers(bunPath: string, cpu: number, processes: number, port: number): Promise<ChildProcess[]> {
  const script = path.join(os.tmpdir(), `ws-reference-server-${process.pid}.ts`);
  fs.writeFileSync(script, SERVER);
  const files = openFilesPlan(1_048_576);
  const argv = [...files.wrap, 'taskset', '-c', String(cpu), bunPath, script, String(port)];
  const children = Array.from({ length: processes }, () => spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] }));
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.stdout!.once('data', () => resolve());
          c.once('exit', (code) => reject(new UserError(`The reference server exited with code ${code}.`)));
        }),
    ),
  );
  fs.rmSync(script, { force: true });
  return children;
}

async function main(): Promise<void> {
  const { values } = parseFlags('ws-loader-benchmark', process.argv.slice(2), {
    clients: { type: 'string' },
    step: { type: 'string' },
    runtime: { type: 'string' },
    'rtt-limit': { type: 'string' },
    server: { type: 'string' },
    'no-readme': { type: 'boolean' },
  });
  if (values.help) {
    console.log('Usage: node --import tsx harness/tools/ws-loader-benchmark.ts [--server reference|node] [--clients 100000] [--step 10000] [--runtime bun|node] [--rtt-limit 1000] [--no-readme]');
    return;
  }
  const clients = values.clients ? parsePositiveInt(values.clients, '--clients') : 100_000;
  const step = values.step ? parsePositiveInt(values.step, '--step') : 10_000;
  const rttLimitMs = values['rtt-limit'] ? parsePositiveInt(values['rtt-limit'], '--rtt-limit') : 1000;
  if (values.runtime !== undefined && values.runtime !== 'bun' && values.runtime !== 'node') throw new UserError('--runtime: bun or node.');
  const serverKind = values.server ?? 'reference';
  if (serverKind !== 'reference' && serverKind !== 'node') throw new UserError(`--server: "${serverKind}" is not a server.`, 'Allowed values: reference (Bun.serve, several processes), node (the node target).');
  const bun = await findBun();
  if (!bun.ok && serverKind === 'reference') throw new UserError(`The reference server runs on Bun, which does not run here: ${bun.why}.`, 'npm ci');
  const cpus = planCpus(cpuCount());
  const loaderCpu = [cpus.loaderCpus[0]!];
  await pinProcess(process.pid, cpus.loaderCpus);
  const runtime = await resolveLoaderRuntime(values.runtime as 'bun' | 'node' | undefined);
  const limits = loaderLimits();
  let url: string;
  let serverText: string;
  let stop: () => Promise<void>;
  if (serverKind === 'reference') {
    // One server process per ~19k clients when a process may not open more descriptors than that.
    const perProcess = Math.max(1000, limits.openFilesLimit - 100);
    const servers = Math.min(16, Math.ceil(clients / perProcess));
    const port = await freePort();
    const children = await startServers(bun.ok ? bun.path : '', cpus.targetCpus[0]!, servers, port);
    url = `ws://127.0.0.1:${port}/ws/echo`;
    serverText = `a reference server that is not a target (Bun ${bun.ok ? bun.version : '?'} \`Bun.serve\` WebSocket echo, ${servers} process(es) sharing the port)`;
    stop = async () => {
      for (const c of children) c.kill('SIGKILL');
    };
  } else {
    const local = new LocalRuntime();
    const [node] = selectByName(loadAllTargets(), (t) => t.decl.name, ['node'], 'target', '--server');
    await local.prepare(node!, (line) => console.error(line));
    const running = await local.start(node!, { cpus: [cpus.targetCpus[0]!], readyTimeoutMs: 60_000 });
    const versions = await local.versions(node!);
    url = `${running.url.replace(/^http/, 'ws')}/ws/echo`;
    serverText = `the node target (node ${versions.node ?? '?'}, ws ${versions.ws ?? '?'}, one worker)`;
    stop = () => local.shutdown();
  }
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  const rows: string[] = [];
  try {
    const env = await collectEnvironment({ projectRoot: PROJECT_ROOT, loader: { name: 'harness-ws', version: '1', runtime: `${runtime.name} ${runtime.version}` }, pinning: { ...cpus, method: 'taskset', shared: [] } });
    const intro =
      `Measured by \`npm run ws-loader-benchmark -- --server ${serverKind}\` on ${new Date().toISOString().slice(0, 10)}, commit ${env.gitCommit?.slice(0, 12) ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}, on ${env.cpuModel} (${env.cores} cores): the harness's WebSocket loader on ${runtime.name} ${runtime.version}, on CPU ${loaderCpu[0]}, against ${serverText} on CPU ${cpus.targetCpus[0]}; ` +
      `a ramp in steps of ${fmt(step)} to ${fmt(clients)} with a ${rttLimitMs} ms p95 limit; each process may open ${fmt(limits.openFilesLimit)} files, ${fmt(limits.sourcePortsPerAddress)} ephemeral ports per source address, conntrack max ${limits.conntrackMax === null ? 'n/a' : fmt(limits.conntrackMax)}.`;
    console.error(intro);
    // Memory per client is counted from the first step on: the runtimes' own memory is not the clients'.
    let first: { rss: number; clients: number } | null = null;
    rows.push('| clients held | handshakes/s | handshake p50 / p99 ms | RTT p50 / p95 / p99 ms | loader CPU | loader RSS | per added client |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    const loader = createWsLoader({ cpus: loaderCpu, runtime, messageTimeoutMs: 5000 });
    const r = await loader.capacity(
      { url, stepClients: step, maxClients: clients, rttLimitMs, sampleMessages: 200, sampleRate: 400 },
      {
        onStep: (s) => {
          const rss = workersRssBytes();
          first ??= { rss, clients: s.connected };
          const added = s.connected - first.clients;
          const row =
            `| ${fmt(s.connected)} | ${fmt(s.handshakes.perS)} | ${s.handshakes.latencyMs.p50.toFixed(1)} / ${s.handshakes.latencyMs.p99.toFixed(1)} | ` +
            `${s.rtt.latencyMs.p50.toFixed(2)} / ${s.rtt.latencyMs.p95.toFixed(2)} / ${s.rtt.latencyMs.p99.toFixed(2)} | ${s.loaderCpuPct?.toFixed(0) ?? '?'}% | ` +
            `${(rss / 2 ** 20).toFixed(0)} MiB | ${added > 0 ? `${fmt((rss - first.rss) / added)} B` : '-'} |`;
          rows.push(row);
          console.log(row);
        },
      },
    );
    const outro = [
      `Held **${fmt(r.maxConnected)}** clients at most (${fmt(r.maxClientsWithinLimits)} within the limits). Stopped: ${r.stopReason}: ${r.stopDetail}`,
      `Handshakes over the ramp: ${fmt(r.handshakes.perS)}/s (p50 ${r.handshakes.latencyMs.p50.toFixed(1)} ms, p99 ${r.handshakes.latencyMs.p99.toFixed(1)} ms); ${r.workers} loader worker process(es); source addresses: ${r.sourceAddresses.length || 1}.`,
    ];
    for (const line of outro) console.log(`\n${line}`);
    if (!values['no-readme']) {
      const start = `<!-- ws-loader-benchmark-${serverKind}:start -->`;
      const end = `<!-- ws-loader-benchmark-${serverKind}:end -->`;
      replaceReadmeBlock(start, end, [start, intro, '', ...rows, '', ...outro, end].join('\n'));
      console.error('README.md updated.');
    }
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(errorMessage(error));
  process.exit(1);
});
