// The harness's WebSocket load generator (harness/load/ws) and its contract checks, against the
// `ws`-based fixture server (test/fixtures/ws-server.ts) on loopback: verification rejects an echo
// that drops or reorders and a broadcast that skips a client; the capacity ramp holds its clients
// between steps and says what stopped it; echo and broadcast count every message; abort leaves no
// worker behind. The loader's workers run on CPU 0 (broadcast across workers: CPUs 0 and 1), on
// Node (through tsx) and, where its binary runs, on Bun.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import { afterEach, describe, expect, test } from 'vitest';
import { findBun } from '../../harness/load/loader-runtime.ts';
import { WsClient } from '../../harness/load/ws/client.ts';
import { encodeFrame, OP_TEXT } from '../../harness/load/ws/frames.ts';
import { createWsLoader, WS_WORKER_PATH, type WsCapacityStep, type WsLoaderOptions } from '../../harness/load/ws/index.ts';
import { sourcePortRange } from '../../harness/load/ws/limits.ts';
import { sharedClockMs } from '../../harness/load/ws/message.ts';
import { verifyWsBroadcast, verifyWsEcho } from '../../harness/load/ws/verify.ts';
import { startWsServer, type WsServerFixture, type WsServerOptions } from '../fixtures/ws-server.ts';
import { processesRunning, waitFor } from '../helpers.ts';

const execFileAsync = promisify(execFile);
type Runtime = WsLoaderOptions['runtime'];
const NODE: Runtime = { name: 'node', version: process.versions.node, command: [process.execPath, '--import', fileURLToPath(import.meta.resolve('tsx'))] };
const bun = await findBun();
const RUNTIMES: Runtime[] = bun.ok ? [NODE, { name: 'bun', version: bun.version, command: [bun.path, '--no-install', '--no-env-file'] }] : [NODE];
const LOADER_CPU = 0;

const servers: WsServerFixture[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(options: WsServerOptions = {}): Promise<WsServerFixture> {
  const s = await startWsServer(options);
  servers.push(s);
  return s;
}

const status = (checks: { name: string; status: string }[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

describe('verification', () => {
  test('a correct server passes every check', { timeout: 20_000 }, async () => {
    const s = await server();
    expect(status(await verifyWsEcho(`${s.url}/ws/echo`))).toEqual({ 'ws-echo-handshake': 'pass', 'ws-echo-sizes': 'pass', 'ws-echo-order': 'pass', 'ws-echo-ping': 'pass', 'ws-echo-close': 'pass' });
    expect(status(await verifyWsBroadcast(`${s.url}/ws/broadcast`))).toEqual({ 'ws-broadcast-handshake': 'pass', 'ws-broadcast-delivery': 'pass' });
  });

  test('an echo that drops every tenth message is rejected', { timeout: 20_000 }, async () => {
    const s = await server({ fault: 'drop-every-10th' });
    const checks = await verifyWsEcho(`${s.url}/ws/echo`, { timeoutMs: 1000 });
    expect(checks.find((c) => c.name === 'ws-echo-order')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/10 missing/) });
  });

  test('an echo that reorders is rejected', { timeout: 20_000 }, async () => {
    const s = await server({ fault: 'reorder' });
    const checks = await verifyWsEcho(`${s.url}/ws/echo`, { timeoutMs: 1000 });
    expect(checks.find((c) => c.name === 'ws-echo-order')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/out of order/) });
  });

  test('a broadcast that skips one client is rejected, naming the client', { timeout: 20_000 }, async () => {
    const s = await server({ fault: 'skip-one-client' });
    const checks = await verifyWsBroadcast(`${s.url}/ws/broadcast`, { timeoutMs: 1000 });
    expect(checks.find((c) => c.name === 'ws-broadcast-delivery')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/client 2 of 5/) });
  });

  test('fragmented echoes with a ping between the fragments come back whole, and the ping is answered', { timeout: 20_000 }, async () => {
    const s = await server({ fault: 'fragment' });
    const checks = await verifyWsEcho(`${s.url}/ws/echo`);
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
    const client = await WsClient.connect(`${s.url}/ws/echo`);
    client.sendText('fragmented hello');
    expect(await client.until(() => client.texts.length === 1, 2000)).toBe(true);
    expect(client.texts).toEqual(['fragmented hello']);
    expect(client.pings.map(String)).toEqual(['mid']);
    client.destroy();
  });

  test('the fixture refuses unmasked client frames, so the masking the tests rely on is checked by the server', { timeout: 10_000 }, async () => {
    const s = await server();
    const client = await WsClient.connect(`${s.url}/ws/echo`);
    client.sendRaw(encodeFrame(OP_TEXT, Buffer.from('plain'), { mask: false }));
    expect(await client.until(() => client.closeFrame !== null, 2000)).toBe(true);
    expect(client.closeFrame!.code).toBe(1002);
    expect(client.texts).toEqual([]);
    client.destroy();
  });
});

describe.each(RUNTIMES)('ws loader on $name $version', (runtime) => {
  test("message stamps read one clock in every process: another process's reading falls between two of ours", { timeout: 20_000 }, async () => {
    const before = sharedClockMs();
    const [exe, ...prefix] = runtime.command as [string, ...string[]];
    const script = path.join(os.tmpdir(), `ws-clock-${process.pid}.ts`);
    fs.writeFileSync(script, `import { sharedClockMs } from ${JSON.stringify(path.resolve('harness/load/ws/message.ts'))};\nconsole.log(sharedClockMs());\n`);
    try {
      const { stdout } = await execFileAsync(exe, [...prefix, script], { encoding: 'utf8' });
      const after = sharedClockMs();
      const theirs = Number(stdout.trim());
      expect(theirs).toBeGreaterThan(before);
      expect(theirs).toBeLessThan(after);
    } finally {
      fs.rmSync(script, { force: true });
    }
  });

  const loader = (options: Partial<WsLoaderOptions> = {}) => createWsLoader({ cpus: [LOADER_CPU], runtime, messageTimeoutMs: 1000, ...options });

  test('capacity: 3 steps of 200 are held between steps, and the ramp stops at the ceiling', { timeout: 30_000 }, async () => {
    const s = await server();
    const seen: { step: number; connected: number; serverClients: number }[] = [];
    const r = await loader().capacity(
      { url: `${s.url}/ws/echo`, stepClients: 200, maxClients: 600, sampleMessages: 100, sampleRate: 1000 },
      {
        onStep: async (step) => {
          // The pause: the clients stay connected while the scenario reads the target.
          await sleep(200);
          seen.push({ step: step.step, connected: step.connected, serverClients: s.clients() });
        },
      },
    );
    expect(seen).toEqual([
      { step: 1, connected: 200, serverClients: 200 },
      { step: 2, connected: 400, serverClients: 400 },
      { step: 3, connected: 600, serverClients: 600 },
    ]);
    expect(r.stopReason).toBe('ceiling');
    expect(r.steps.map((x) => x.stop)).toEqual([null, null, 'ceiling']);
    expect(r.maxConnected).toBe(600);
    expect(r.maxClientsWithinLimits).toBe(600);
    for (const step of r.steps) {
      expect(step.handshakes).toMatchObject({ ok: 200, failed: 0 });
      expect(step.handshakes.perS).toBeGreaterThan(0);
      expect(step.handshakes.latencyMs.p50).toBeGreaterThan(0);
      expect(hdr.decodeFromCompressedBase64(step.handshakes.histogramUs).totalCount).toBe(200);
      expect(step.rtt).toMatchObject({ sent: 100, received: 100, lost: 0 });
      expect(step.rtt.latencyMs.p95).toBeGreaterThan(0);
      expect(step.rtt.latencyMs.p99).toBeGreaterThanOrEqual(step.rtt.latencyMs.p95);
      expect(hdr.decodeFromCompressedBase64(step.rtt.histogramUs).totalCount).toBe(100);
      expect(step.dropped).toBe(0);
    }
    expect(r.handshakes.ok).toBe(600);
    // The clients were closed at the end, each with a close handshake.
    expect(await waitFor(() => s.clients() === 0, 5000)).toBe(true);
    expect(s.closeCodes()).toEqual({ 1000: 600 });
    expect(processesRunning(WS_WORKER_PATH)).toEqual([]);
  });

  test('capacity stops when the p95 round trip passes the limit', { timeout: 30_000 }, async () => {
    const s = await server({ fault: 'slow', delayMs: 120 });
    const r = await loader().capacity({ url: `${s.url}/ws/echo`, stepClients: 50, maxClients: 200, rttLimitMs: 60, sampleMessages: 20, sampleRate: 200 });
    expect(r.stopReason).toBe('rtt-limit');
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]!.rtt.latencyMs.p95).toBeGreaterThan(60);
    expect(r.maxClientsWithinLimits).toBe(0);
    expect(r.stopDetail).toMatch(/p95 round trip \d+\.\d ms passed the 60 ms limit at 50 clients/);
  });

  test('capacity stops when more than 1% of a step\'s connects fail', { timeout: 30_000 }, async () => {
    const s = await server({ maxClients: 250 });
    const r = await loader().capacity({ url: `${s.url}/ws/echo`, stepClients: 200, maxClients: 1000, sampleMessages: 20, sampleRate: 1000 });
    expect(r.stopReason).toBe('failures');
    expect(r.steps).toHaveLength(2);
    expect(r.steps[1]!.handshakes).toMatchObject({ ok: 50, failed: 150, errorKinds: { 'HTTP 503': 150 } });
    expect(r.steps[1]!.connected).toBe(250);
    expect(r.maxClientsWithinLimits).toBe(200);
    expect(r.stopDetail).toMatch(/150 of 200 connects failed in step 2/);
  });

  test('capacity reports the open-files limit as its stop reason instead of crashing', { timeout: 30_000 }, async () => {
    const s = await server();
    const r = await loader({ maxOpenFiles: 300, maxWorkersPerCpu: 1 }).capacity({ url: `${s.url}/ws/echo`, stepClients: 200, maxClients: 1000, sampleMessages: 20, sampleRate: 1000 });
    expect(r.openFilesLimit).toBe(300);
    expect(r.stopReason).toBe('file-descriptors');
    expect(r.steps.at(-1)!.handshakes.errorKinds.EMFILE).toBeGreaterThan(0);
    expect(r.steps.at(-1)!.connected).toBeGreaterThan(200);
    expect(r.steps.at(-1)!.connected).toBeLessThan(300);
    expect(r.stopDetail).toMatch(/open-files limit \(300\)/);
  });

  test("capacity: onStep's 'stop' ends the ramp", { timeout: 30_000 }, async () => {
    const s = await server();
    const steps: WsCapacityStep[] = [];
    const r = await loader().capacity({ url: `${s.url}/ws/echo`, stepClients: 20, maxClients: 1000, sampleMessages: 10, sampleRate: 1000 }, { onStep: (step) => (steps.push(step), step.step === 2 ? 'stop' : undefined) });
    expect(r.stopReason).toBe('caller');
    expect(r.steps).toHaveLength(2);
    expect(r.maxConnected).toBe(40);
  });

  test('echo: every message is counted once, round trips from the actual send time, messages/s at the asked rate', { timeout: 30_000 }, async () => {
    const s = await server();
    const r = await loader().echo({ url: `${s.url}/ws/echo`, clients: 40, ratePerClient: 50, durationS: 2, messageBytes: 100 });
    expect(r.clients).toBe(40);
    expect(r.handshakes).toMatchObject({ ok: 40, failed: 0 });
    expect(r.requestedRate).toBe(2000);
    expect(r.rtt.sent).toBe(4000);
    expect(r.rtt).toMatchObject({ received: 4000, lost: 0 });
    expect(s.received()).toBe(4000);
    expect(r.outOfOrder + r.misrouted + r.dropped).toBe(0);
    expect(r.achievedRate).toBeGreaterThan(1900);
    expect(r.messagesPerS).toBeGreaterThan(1800);
    expect(r.messagesPerS).toBeLessThan(2100);
    expect(hdr.decodeFromCompressedBase64(r.rtt.histogramUs).totalCount).toBe(4000);
    expect(r.rtt.latencyMs.p50).toBeGreaterThan(0);
    expect(r.loaderCpuPct).not.toBeNull();
  });

  test('a source port taken by another socket is skipped: every client still connects', { timeout: 30_000 }, async () => {
    const s = await server();
    // Listeners on the first planned source ports (127.0.0.1:10000 and up, beside the ephemeral range).
    const { low } = sourcePortRange();
    const holders: net.Server[] = [];
    for (let port = low; port < low + 10; port++) {
      const h = net.createServer();
      const ok = await new Promise<boolean>((resolve) => {
        h.once('error', () => resolve(false));
        h.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) holders.push(h);
    }
    try {
      expect(holders.length).toBeGreaterThan(5);
      const r = await loader().echo({ url: `${s.url}/ws/echo`, clients: 20, ratePerClient: 10, durationS: 0.5 });
      expect(r.handshakes).toMatchObject({ ok: 20, failed: 0 });
      expect(r.rtt.lost).toBe(0);
    } finally {
      for (const h of holders) h.close();
    }
  });

  test('echo: fragmented replies (with a ping between the fragments) are read whole', { timeout: 30_000 }, async () => {
    const s = await server({ fault: 'fragment' });
    const r = await loader().echo({ url: `${s.url}/ws/echo`, clients: 10, ratePerClient: 50, durationS: 1, messageBytes: 300 });
    expect(r.rtt).toMatchObject({ sent: 500, received: 500, lost: 0 });
    expect(r.outOfOrder + r.misrouted + r.dropped).toBe(0);
    // Every ping between the fragments was answered.
    expect(await waitFor(() => s.pongs() === 500, 2000)).toBe(true);
  });

  test('echo: a server that drops or reorders shows as lost and out-of-order messages', { timeout: 30_000 }, async () => {
    const s = await server({ fault: 'drop-every-10th' });
    const dropped = await loader().echo({ url: `${s.url}/ws/echo`, clients: 10, ratePerClient: 50, durationS: 1 });
    expect(dropped.rtt.lost).toBe(50);
    s.fault = 'reorder';
    const reordered = await loader().echo({ url: `${s.url}/ws/echo`, clients: 10, ratePerClient: 50, durationS: 1 });
    expect(reordered.rtt.lost).toBe(0);
    expect(reordered.outOfOrder).toBe(250);
  });

  test('broadcast, closed loop: every round reaches every client; fan-out latency per round', { timeout: 30_000 }, async () => {
    const s = await server();
    const r = await loader().broadcast({ url: `${s.url}/ws/broadcast`, clients: 30, durationS: 1 });
    expect(r.mode).toBe('closed');
    expect(r.clients).toBe(30);
    expect(r.rounds).toBeGreaterThan(50);
    expect(r.completeRounds).toBe(r.rounds);
    expect(r.deliveries).toBe(r.rounds * 30);
    expect(r.missing + r.outOfOrder + r.dropped).toBe(0);
    expect(hdr.decodeFromCompressedBase64(r.fanoutHistogramUs).totalCount).toBe(r.rounds);
    expect(hdr.decodeFromCompressedBase64(r.deliveryHistogramUs).totalCount).toBe(r.deliveries);
    expect(r.fanoutMs.p50).toBeGreaterThanOrEqual(r.deliveryMs.p50);
    expect(r.deliveriesPerS).toBeGreaterThan(0);
  });

  test('broadcast, open loop over two worker processes: one clock for send and receive times; a skipped client shows as missing', { timeout: 30_000 }, async () => {
    const s = await server();
    const two = loader({ cpus: [0, 1] });
    const r = await two.broadcast({ url: `${s.url}/ws/broadcast`, clients: 20, durationS: 1, rate: 50 });
    expect(r.mode).toBe('open');
    expect(r.rounds).toBe(50);
    expect(r.completeRounds).toBe(50);
    expect(r.deliveries).toBe(1000);
    // Stamped in one process, received in another: sane only if both read the same clock.
    expect(r.deliveryMs.p50).toBeGreaterThan(0);
    expect(r.deliveryMs.max).toBeLessThan(500);
    s.fault = 'skip-one-client';
    const skipped = await two.broadcast({ url: `${s.url}/ws/broadcast`, clients: 20, durationS: 1, rate: 50 });
    expect(skipped.completeRounds).toBe(0);
    expect(skipped.missing).toBe(50);
  });

  test('abort: the workers are killed, the run rejects with the reason, no process is left', { timeout: 30_000 }, async () => {
    const s = await server();
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop now')), 1500);
    await expect(loader().echo({ url: `${s.url}/ws/echo`, clients: 20, ratePerClient: 10, durationS: 30 }, controller.signal)).rejects.toThrow('stop now');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await waitFor(() => processesRunning(WS_WORKER_PATH).length === 0, 3000)).toBe(true);
    expect(await waitFor(() => s.clients() === 0, 3000)).toBe(true);

    // During a capacity ramp's pause between steps, too.
    const second = new AbortController();
    const ramp = loader().capacity(
      { url: `${s.url}/ws/echo`, stepClients: 50, maxClients: 500, sampleMessages: 10, sampleRate: 1000 },
      {
        signal: second.signal,
        onStep: async () => {
          second.abort(new Error('stop the ramp'));
          await sleep(100);
        },
      },
    );
    await expect(ramp).rejects.toThrow('stop the ramp');
    expect(await waitFor(() => processesRunning(WS_WORKER_PATH).length === 0, 3000)).toBe(true);
  });
});
