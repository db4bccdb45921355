// Round trips of the WebSocket loader's echo run from each message's actual send time, and the
// reference echo server (harness/load/ws/reference-echo.ts) that measures the loader's own floor:
// a server's known delay shows in the round trips while the floor against the reference stays far
// below it; a loader that falls behind its schedule shows in the lateness histogram, not in the
// round trips (its worker is stopped with SIGSTOP mid-run: a stall the timers cannot hide); the
// reference passes the loader's contract check, echoes what the contract needs, and leaves no
// process behind after stop() or after its parent is killed. Loader on CPU 0, the reference on CPU
// 1, on Node (through tsx) and, where its binary runs, on Bun. Assertions are on counts and wide
// ratios: the machine may have two shared cores.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import { afterEach, describe, expect, test } from 'vitest';
import { findBun, type LoaderRuntime } from '../../harness/load/loader-runtime.ts';
import { WsClient } from '../../harness/load/ws/client.ts';
import { encodeFrame, OP_BINARY, OP_CONTINUATION, OP_PING, OP_TEXT } from '../../harness/load/ws/frames.ts';
import { createWsLoader, WS_WORKER_PATH, type WsScheduleLateness } from '../../harness/load/ws/index.ts';
import { REFERENCE_ECHO_SERVER_PATH, startReferenceEcho, type ReferenceEcho } from '../../harness/load/ws/reference-echo.ts';
import { verifyWsEcho } from '../../harness/load/ws/verify.ts';
import { startWsServer, type WsServerFixture, type WsServerOptions } from '../fixtures/ws-server.ts';
import { waitFor } from '../helpers.ts';

const NODE: LoaderRuntime = { name: 'node', version: process.versions.node, command: [process.execPath, '--import', fileURLToPath(import.meta.resolve('tsx'))] };
const bun = await findBun();
const RUNTIMES: LoaderRuntime[] = bun.ok ? [NODE, { name: 'bun', version: bun.version, command: [bun.path, '--no-install', '--no-env-file'] }] : [NODE];
const LOADER_CPU = 0;
const SERVER_CPU = os.cpus().length > 1 ? 1 : 0;
const DELAY_MS = 20;

const servers: WsServerFixture[] = [];
const references: ReferenceEcho[] = [];
afterEach(async () => {
  await Promise.all([...servers.splice(0).map((s) => s.close()), ...references.splice(0).map((r) => r.stop())]);
});
async function server(options: WsServerOptions = {}): Promise<WsServerFixture> {
  const s = await startWsServer(options);
  servers.push(s);
  return s;
}
async function reference(runtime: LoaderRuntime): Promise<ReferenceEcho> {
  const r = await startReferenceEcho({ cpus: [SERVER_CPU], runtime });
  references.push(r);
  return r;
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);
/** Exited: no /proc entry, or a zombie its parent has not reaped yet. */
function gone(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] === 'Z';
  } catch {
    return true;
  }
}
const count = (l: WsScheduleLateness) => hdr.decodeFromCompressedBase64(l.histogramUs).totalCount;

/** This process's children running the loader's worker (not other test files' workers). */
function ownWorkers(): number[] {
  return fs.readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name)) return [];
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      return Number(stat[1]) === process.pid && stat[0] !== 'Z' && cmdline.includes(WS_WORKER_PATH) ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

describe.each(RUNTIMES)('the reference echo server on $name $version', (runtime) => {
  test('passes the contract check, pinned to its CPU, and is gone after stop()', { timeout: 30_000 }, async () => {
    const r = await reference(runtime);
    expect(r.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/echo$/);
    expect(r.describe).toContain(`${runtime.name} ${runtime.version}`);
    expect(/^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${r.pid}/status`, 'utf8'))?.[1]).toBe(String(SERVER_CPU));
    expect(fs.readFileSync(`/proc/${r.pid}/cmdline`, 'utf8')).toContain(REFERENCE_ECHO_SERVER_PATH);
    const checks = await verifyWsEcho(r.url);
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['ws-echo-handshake', 'pass'],
      ['ws-echo-sizes', 'pass'],
      ['ws-echo-order', 'pass'],
      ['ws-echo-ping', 'pass'],
      ['ws-echo-close', 'pass'],
    ]);
    await r.stop();
    expect(alive(r.pid)).toBe(false);
    await r.stop(); // idempotent
  });

  test('echoes binary with its opcode, joins fragments around a ping, refuses an unmasked frame with 1002', { timeout: 20_000 }, async () => {
    const r = await reference(runtime);
    const a = await WsClient.connect(r.url);
    a.sendRaw(encodeFrame(OP_BINARY, Buffer.from([0, 1, 2, 255])));
    a.sendRaw(encodeFrame(OP_TEXT, Buffer.from('frag'), { fin: false }));
    a.sendRaw(encodeFrame(OP_PING, Buffer.from('mid')));
    a.sendRaw(encodeFrame(OP_CONTINUATION, Buffer.from('mented'), { fin: true }));
    expect(await a.until(() => a.binaries.length === 1 && a.texts.length === 1 && a.pongs.length === 1, 5000)).toBe(true);
    expect([...a.binaries[0]!]).toEqual([0, 1, 2, 255]);
    expect(a.texts).toEqual(['fragmented']);
    expect(String(a.pongs[0])).toBe('mid');
    a.destroy();

    const b = await WsClient.connect(r.url);
    b.sendRaw(encodeFrame(OP_TEXT, Buffer.from('bare'), { mask: false }));
    expect(await b.until(() => b.closeFrame !== null, 5000)).toBe(true);
    expect(b.closeFrame!.code).toBe(1002);
    expect(b.texts).toEqual([]);
    b.destroy();

    await expect(WsClient.connect(r.url.replace('/ws/echo', '/elsewhere'))).rejects.toThrow(/404/);
  });
});

test('a harness killed outright (SIGKILL) leaves no reference echo server behind', { timeout: 30_000 }, async () => {
  const module = fileURLToPath(new URL('../../harness/load/ws/reference-echo.ts', import.meta.url));
  const script = `const { startReferenceEcho } = await import(${JSON.stringify(module)});
const r = await startReferenceEcho({ cpus: [${SERVER_CPU}], runtime: ${JSON.stringify(NODE)} });
console.log('pid ' + r.pid);
setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--import', fileURLToPath(import.meta.resolve('tsx')), '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (c: Buffer) => (out += String(c)));
  let pid = 0;
  try {
    expect(await waitFor(() => /pid \d+/.test(out), 20_000)).toBe(true);
    pid = Number(/pid (\d+)/.exec(out)![1]);
    expect(gone(pid)).toBe(false);
    parent.kill('SIGKILL');
    // Its stdin ends with the parent, and the reaper ends its process group.
    expect(await waitFor(() => gone(pid), 10_000)).toBe(true);
  } finally {
    parent.kill('SIGKILL');
    // A failure must not leave the server running.
    if (pid > 0 && !gone(pid)) process.kill(pid, 'SIGKILL');
  }
});

describe.each(RUNTIMES)('echo round trips with the loader on $name $version', (runtime) => {
  const loader = () => createWsLoader({ cpus: [LOADER_CPU], runtime, messageTimeoutMs: 2000 });
  const request = { clients: 20, ratePerClient: 20, durationS: 2 };

  test(`a server's ${DELAY_MS} ms delay shows in the round trips, while the floor against the reference echo stays far below it`, { timeout: 60_000 }, async () => {
    const slow = await server({ fault: 'slow', delayMs: DELAY_MS });
    const ref = await reference(runtime);
    const delayed = await loader().echo({ ...request, url: `${slow.url}/ws/echo` });
    const floor = await loader().echo({ ...request, url: ref.url });
    for (const r of [delayed, floor]) {
      expect(r.rtt).toMatchObject({ sent: 800, received: 800, lost: 0 });
      expect(r.outOfOrder + r.misrouted + r.unexpected + r.dropped).toBe(0);
      // The lateness counts every message sent.
      expect(count(r.lateness)).toBe(r.rtt.sent);
      expect(r.lateness.latencyMs.max).toBeGreaterThanOrEqual(r.lateness.latencyMs.p50);
    }
    // A timer may fire a little before its time, and the histogram keeps 3 significant digits.
    expect(delayed.rtt.latencyMs.p50).toBeGreaterThanOrEqual(DELAY_MS * 0.95);
    expect(delayed.rtt.latencyMs.p50).toBeLessThan(DELAY_MS + 40);
    expect(floor.rtt.latencyMs.p50).toBeLessThan(5);
    expect(floor.rtt.latencyMs.p50 * 4).toBeLessThan(delayed.rtt.latencyMs.p50);
  });

  test('a loader stalled mid-run shows in the lateness, not in the round trips', { timeout: 60_000 }, async () => {
    const s = await server();
    const run = loader().echo({ clients: 10, ratePerClient: 20, durationS: 2, url: `${s.url}/ws/echo` });
    let stopped: number[] = [];
    try {
      expect(await waitFor(() => s.received() >= 10, 20_000, 5)).toBe(true);
      // Most of the schedule falls due while the worker cannot run; then it sends the backlog at once.
      stopped = ownWorkers();
      expect(stopped).toHaveLength(1);
      for (const pid of stopped) process.kill(pid, 'SIGSTOP');
      await sleep(1500);
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
    }
    const r = await run;
    expect(r.rtt).toMatchObject({ sent: 400, received: 400, lost: 0 });
    expect(count(r.lateness)).toBe(400);
    expect(r.lateness.latencyMs.p50).toBeGreaterThan(300);
    expect(r.lateness.latencyMs.max).toBeGreaterThan(1000);
    // Stamped at the actual write, the backlog's round trips are the server's; only the echoes in
    // flight at the stall (a message or two) wait for the worker to run again.
    expect(r.rtt.latencyMs.p90).toBeLessThan(100);
    expect(r.rtt.latencyMs.p90 * 3).toBeLessThan(r.lateness.latencyMs.p50);
  });

  test("capacity's sample carries its lateness beside its round trips", { timeout: 30_000 }, async () => {
    const ref = await reference(runtime);
    const result = await loader().capacity({ url: ref.url, stepClients: 20, maxClients: 40, sampleMessages: 50, sampleRate: 200 });
    expect(result.steps).toHaveLength(2);
    for (const step of result.steps) {
      expect(step.rtt).toMatchObject({ sent: 50, received: 50, lost: 0 });
      expect(count(step.rttLateness)).toBe(50);
      expect(step.rtt.latencyMs.p50).toBeLessThan(5);
    }
  });
});
