// The harness's own WebSocket load generator: one long-lived worker process (worker.ts) per loader
// CPU, pinned there with taskset, run by Bun or by Node (through tsx), with its open-files limit
// raised by prlimit. The harness drives the workers with commands (protocol.ts), so a capacity
// ramp holds its clients between steps while the scenario reads the target's memory. Clients are
// spread over loopback source addresses when there are more than one address's ephemeral ports.
// Histograms from the workers are merged exactly; each worker's CPU is read from /proc. The
// clients speak plain WebSocket messages or Socket.IO (WsProtocol; socketio.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { UserError } from '../../errors.ts';
import { readProcStat } from '../../runtime/process-tree.ts';
import { emptyHistogram, latencyFromHistogram, mergeHistograms, splitEvenly } from '../raw/index.ts';
import type { WsCommand, WsReply, WsWorkerConfig } from './protocol.ts';
import { normalizeSocketIo, socketIoRequestPath } from './socketio.ts';
import type {
  WsBroadcastRequest,
  WsBroadcastResult,
  WsCapacityOptions,
  WsCapacityRequest,
  WsCapacityResult,
  WsCapacityStep,
  WsEchoRequest,
  WsEchoResult,
  WsHandshakes,
  WsLatencyMs,
  WsLoader,
  WsLoaderOptions,
  WsProtocol,
  WsScheduleLateness,
  WsStopReason,
} from './types.ts';

export type * from './types.ts';

/** The worker program (run as `<runtime.command...> WS_WORKER_PATH '<json>'`). */
export const WS_WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

export const DEFAULTS = {
  maxOpenFiles: 1_048_576,
  clientsPerSourceAddress: 20_000,
  connectTimeoutMs: 10_000,
  messageTimeoutMs: 5_000,
  connectConcurrency: 128,
  rttLimitMs: 250,
  maxFailureRatio: 0.01,
  sampleMessages: 200,
  sampleRate: 200,
  messageBytes: 32,
  maxWorkersPerCpu: 16,
} as const;

/** Descriptors a worker keeps for itself (runtime, pipes, epoll, timers). */
const RESERVED_FDS = 64;

/**
 * The CPU of each worker: one worker per loader CPU (never more workers than clients), and more
 * per CPU, pinned to the same CPU, when the clients need more descriptors than one process may
 * open (a hard limit that cannot be raised; containers often cap it).
 */
export function planWorkerCpus(clients: number, cpus: number[], openFilesLimit: number, maxPerCpu: number): number[] {
  const perWorker = Math.max(1, openFilesLimit - RESERVED_FDS);
  const perCpu = Math.min(maxPerCpu, Math.max(1, Math.ceil(clients / (perWorker * cpus.length))));
  const n = Math.max(1, Math.min(clients, cpus.length * perCpu));
  return Array.from({ length: n }, (_, i) => cpus[i % cpus.length]!);
}

const KILL_AFTER_MS = 2000;
/** A worker asked to close gets this long for its close handshakes before it is killed. */
const CLOSE_GRACE_MS = 5000;
const STDERR_LINES = 15;

type Histogram = ReturnType<typeof hdr.build>;

/** Latency summary in ms (with p95) from a histogram in µs. */
export function wsLatency(h: Histogram): WsLatencyMs {
  return { ...latencyFromHistogram(h), p95: h.totalCount === 0 ? 0 : h.getValueAtPercentile(95) / 1000 };
}

function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** The workers' schedule lateness, merged exactly as their round trips are. */
function lateness(replies: { latenessUs: string }[]): WsScheduleLateness {
  const h = mergeHistograms(replies.map((r) => r.latenessUs));
  return { latencyMs: wsLatency(h), histogramUs: encode(h) };
}

// ---------------------------------------------------------------------------------------------
// Target, source addresses, open-files limit, stop reasons: pure or nearly, and exported for tests.

export interface WsTarget {
  ip: string;
  port: number;
  path: string;
  hostHeader: string;
}

/** ws://host:port/path (http:// is read as ws://, as the targets' URLs are http://). */
export function parseWsUrl(url: string): Omit<WsTarget, 'ip'> & { host: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`Not a URL: ${url}`, 'Give a URL such as ws://127.0.0.1:8080/ws/echo.');
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'http:') throw new UserError(`The harness's WebSocket loader speaks plain ws:// only, not ${u.protocol} (${url}).`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : 80, path: (u.pathname || '/') + u.search, hostHeader: u.host };
}

/** The request's target as the protocol reaches it: with socket.io, the url's host and port, and the Engine.IO path. */
export function protocolTarget(url: string, protocol: WsProtocol | undefined): Omit<WsTarget, 'ip'> & { host: string; socketio?: { namespace: string } } {
  const parsed = parseWsUrl(url);
  if (!protocol || protocol.name === 'websocket') return parsed;
  if (protocol.name !== 'socket.io') throw new UserError(`Unknown WebSocket protocol ${JSON.stringify((protocol as { name?: unknown }).name)}: the loader speaks 'websocket' and 'socket.io'.`);
  let sio: ReturnType<typeof normalizeSocketIo>;
  try {
    sio = normalizeSocketIo(protocol);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  return { ...parsed, path: socketIoRequestPath(sio.path), socketio: { namespace: sio.namespace } };
}

async function resolveTarget(url: string, protocol: WsProtocol | undefined): Promise<WsTarget & { socketio?: { namespace: string } }> {
  const { host, ...rest } = protocolTarget(url, protocol);
  if (net.isIP(host)) return { ip: host, ...rest };
  // Resolved once, IPv4 first (the servers here listen on 127.0.0.1).
  const found = await dns.lookup(host, { all: true });
  const ip = (found.find((a) => a.family === 4) ?? found[0])?.address;
  if (!ip) throw new UserError(`${host} does not resolve.`);
  return { ip, ...rest };
}

const isLoopbackV4 = (ip: string) => net.isIPv4(ip) && ip.startsWith('127.');

/**
 * Loopback source addresses for `clients` clients of a target at `ip`: `perAddress` clients on
 * each of 127.0.0.1, 127.0.0.2, ... (every 127/8 address is local on Linux). [] when the target is
 * not on loopback: the kernel then chooses, and one address runs out near its ephemeral range.
 */
export function sourceAddressesFor(ip: string, clients: number, perAddress: number): string[] {
  const n = Math.max(1, Math.ceil(clients / perAddress));
  if (!isLoopbackV4(ip)) return [];
  // 127.0.x.1 .. 127.0.x.254: no .0 or .255 in the last byte.
  return Array.from({ length: n }, (_, i) => `127.0.${Math.floor(i / 254)}.${(i % 254) + 1}`);
}

/**
 * The source ports the clients bind explicitly, beside the addresses. Explicit ports because the
 * kernel's own choice (bind or connect with port 0) searches the port range, and that search took
 * the loader's whole CPU past ~10k clients here (handshakes fell from ~15k/s to ~500/s). Outside
 * the ephemeral range (net.ipv4.ip_local_port_range) because a port bound explicitly is one that
 * no other program's outgoing connection may take (a target's to PostgreSQL, the harness's own):
 * the larger free stretch of 10000-65535 beside that range.
 */
export function sourcePortRange(ephemeral: [number, number] = readEphemeralRange()): { low: number; high: number } {
  const below = { low: 10_000, high: ephemeral[0] - 1 };
  const above = { low: ephemeral[1] + 1, high: 65_535 };
  const size = (r: { low: number; high: number }) => r.high - r.low + 1;
  const best = size(below) >= size(above) ? below : above;
  // An ephemeral range that leaves little outside it: share it rather than run short.
  return size(best) >= 5000 ? best : { low: 10_000, high: 65_535 };
}

function readEphemeralRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: the kernel's usual default
  }
  return [32_768, 60_999];
}

/** Soft and hard open-files limits of this process, and the system's ceiling for one process. */
function readLimits(): { soft: number; hard: number; nrOpen: number } {
  const text = fs.readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const num = (s: string | undefined) => (s === undefined ? 1024 : s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  let nrOpen = 1_048_576;
  try {
    nrOpen = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()) || nrOpen;
  } catch {
    // not Linux, or hidden: the common default
  }
  return { soft: num(m?.[1]), hard: num(m?.[2]), nrOpen };
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      fs.accessSync(`${dir}/${binary}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface OpenFilesPlan {
  /** The limit the workers get. */
  limit: number;
  /** argv prefix that sets it ([] when the current one is it). */
  wrap: string[];
}

/** Whether this process may raise a hard limit: CAP_SYS_RESOURCE (bit 24) in its effective capabilities.
 * Being root is not enough: containers usually drop that capability. */
function canRaiseHardLimits(): boolean {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 24n)) !== 0n;
  } catch {
    return false;
  }
}

/** How to give the workers `wanted` open files: as many as allowed (fs.nr_open with CAP_SYS_RESOURCE, the hard limit otherwise). */
export function openFilesPlan(wanted: number, limits = readLimits(), mayRaiseHard = canRaiseHardLimits(), prlimit = onPath('prlimit')): OpenFilesPlan {
  const allowed = mayRaiseHard ? Math.max(limits.hard, limits.nrOpen) : limits.hard;
  const limit = Math.min(wanted, allowed);
  if (limit === limits.soft) return { limit, wrap: [] };
  // prlimit sets the limit and execs the command (the pid stays the worker's, for its CPU readings).
  if (prlimit) return { limit, wrap: ['prlimit', `--nofile=${limit}:${limit}`] };
  return { limit, wrap: ['sh', '-c', `ulimit -n ${limit} && exec "$@"`, 'sh'] };
}

/** The resource a connect error says is exhausted, if any. */
export function resourceStopReason(errorKinds: Record<string, number>): Exclude<WsStopReason, 'rtt-limit' | 'failures' | 'ceiling' | 'caller'> | null {
  const has = (...codes: string[]) => codes.some((c) => (errorKinds[c] ?? 0) > 0);
  if (has('EMFILE', 'ENFILE')) return 'file-descriptors';
  // EADDRINUSE: binding a source address with no port left (bind-before-connect fails there, not at connect).
  if (has('EADDRNOTAVAIL', 'EADDRINUSE')) return 'ports';
  if (has('ENOMEM', 'ENOBUFS')) return 'loader-memory';
  return null;
}

function memAvailableBytes(): { available: number; total: number } | null {
  try {
    const text = fs.readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    const available = kb('MemAvailable');
    return Number.isFinite(available) ? { available, total: kb('MemTotal') } : null;
  } catch {
    return null;
  }
}

/** `total` split in proportion to `weights` (largest remainders), e.g. sample messages by clients held. */
export function splitByWeight(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, n) => s + n, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

const addKinds = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
};

// ---------------------------------------------------------------------------------------------
// The workers.

interface PoolWorker {
  cpu: number;
  child: ChildProcess;
  stdout: string;
  stderrTail: string[];
  /** Replies awaited, in the order the commands were sent. */
  waiting: { type: WsReply['type']; resolve: (r: WsReply) => void; reject: (e: Error) => void }[];
  exited: boolean;
  exit: Promise<void>;
}

class WorkerPool {
  readonly workers: PoolWorker[];
  private failure: Error | null = null;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort: () => void;
  openFilesLimit = 0;

  private constructor(workers: PoolWorker[], signal: AbortSignal | undefined) {
    this.workers = workers;
    this.signal = signal;
    this.onAbort = () => this.failAll(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason ?? 'interrupted')));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  static async start(o: { cpus: number[]; runtime: WsLoaderOptions['runtime']; config: WsWorkerConfig; openFiles: OpenFilesPlan; signal?: AbortSignal }): Promise<WorkerPool> {
    o.signal?.throwIfAborted();
    const [exe, ...prefix] = o.runtime.command as [string, ...string[]];
    const label = `${o.runtime.name} ${o.runtime.version}`;
    const workers: PoolWorker[] = [];
    const pool = new WorkerPool(workers, o.signal);
    for (const cpu of o.cpus) {
      const argv = [...o.openFiles.wrap, 'taskset', '-c', String(cpu), exe, ...prefix, WS_WORKER_PATH, JSON.stringify(o.config)];
      const child = spawn(argv[0]!, argv.slice(1), {
        stdio: ['pipe', 'pipe', 'pipe'],
        // Pinned to one CPU: Node would otherwise size its thread pool for every core.
        env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
      });
      const w: PoolWorker = { cpu, child, stdout: '', stderrTail: [], waiting: [], exited: false, exit: Promise.resolve() };
      w.exit = new Promise((resolve) => {
        const done = (how: string) => {
          if (w.exited) return;
          w.exited = true;
          if (w.waiting.length) {
            pool.failAll(
              new UserError(
                `The harness's WebSocket load generator (worker on CPU ${cpu}, ${label}) ${how}.`,
                `Check that taskset can pin to CPU ${cpu}${o.openFiles.wrap.length ? ` and that \`${o.openFiles.wrap.join(' ')}\` may set the open-files limit` : ''}, and that \`${o.runtime.command.join(' ')} ${WS_WORKER_PATH}\` runs.`,
                w.stderrTail.slice(-STDERR_LINES),
              ),
            );
          }
          resolve();
        };
        child.once('error', (error) => done(`could not start (${error.message})`));
        child.once('close', (code, sig) => done(sig ? `was killed by ${sig}` : `exited with code ${code}`));
      });
      child.stdin!.on('error', () => {}); // a worker that died: its exit says why
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (text: string) => {
        w.stdout += text;
        let nl: number;
        while ((nl = w.stdout.indexOf('\n')) >= 0) {
          const line = w.stdout.slice(0, nl);
          w.stdout = w.stdout.slice(nl + 1);
          pool.onReply(w, line);
        }
      });
      let partial = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          w.stderrTail.push(line);
          if (w.stderrTail.length > STDERR_LINES) w.stderrTail.shift();
        }
      });
      workers.push(w);
    }
    try {
      const ready = await Promise.all(workers.map((w) => pool.expect(w, 'ready')));
      pool.openFilesLimit = Math.min(...ready.map((r) => r.openFilesLimit));
    } catch (error) {
      await pool.kill();
      throw error;
    }
    return pool;
  }

  private expect<T extends WsReply['type']>(w: PoolWorker, type: T): Promise<Extract<WsReply, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => w.waiting.push({ type, resolve: resolve as (r: WsReply) => void, reject }));
  }

  private onReply(w: PoolWorker, line: string): void {
    let r: WsReply;
    try {
      r = JSON.parse(line) as WsReply;
    } catch {
      w.stderrTail.push(`(stdout) ${line.slice(0, 200)}`);
      return;
    }
    const waiter = w.waiting.shift();
    if (!waiter) return;
    if (r.type === 'error') waiter.reject(new UserError(`The WebSocket load generator's worker on CPU ${w.cpu} failed: ${r.message}`, undefined, w.stderrTail.slice(-STDERR_LINES)));
    else if (r.type !== waiter.type) waiter.reject(new Error(`ws worker on CPU ${w.cpu}: expected a '${waiter.type}' reply, got '${r.type}'`));
    else waiter.resolve(r);
  }

  /** Sends a command to worker i and resolves with its reply. */
  send<T extends WsReply['type']>(i: number, cmd: WsCommand, type: T): Promise<Extract<WsReply, { type: T }>> {
    const w = this.workers[i]!;
    const reply = this.expect(w, type);
    if (!this.failure && !w.exited) w.child.stdin!.write(JSON.stringify(cmd) + '\n');
    return reply;
  }

  /** One command per worker (null: none for that worker), all at once. */
  all<T extends WsReply['type']>(cmds: (WsCommand | null)[], type: T): Promise<(Extract<WsReply, { type: T }> | null)[]> {
    return Promise.all(cmds.map((cmd, i) => (cmd ? this.send(i, cmd, type) : Promise.resolve(null))));
  }

  /** CPU seconds of each worker now, with the time read. */
  cpuMark(): ({ cpuS: number; atMs: number } | null)[] {
    return this.workers.map((w) => {
      const stat = w.child.pid === undefined ? null : readProcStat(w.child.pid);
      return stat && stat.state !== 'Z' ? { cpuS: stat.cpuSeconds, atMs: performance.now() } : null;
    });
  }

  /** Each loader CPU's use since `mark` by the workers on it, in percent of that CPU (null where unknown). */
  cpuSince(mark: ({ cpuS: number; atMs: number } | null)[]): (number | null)[] {
    const now = this.cpuMark();
    const perCpu = new Map<number, number | null>();
    mark.forEach((m, i) => {
      const n = now[i];
      const cpu = this.workers[i]!.cpu;
      const pct = !m || !n || n.atMs - m.atMs < 50 ? null : ((n.cpuS - m.cpuS) / ((n.atMs - m.atMs) / 1000)) * 100;
      const sum = perCpu.has(cpu) ? perCpu.get(cpu)! : 0;
      perCpu.set(cpu, sum === null || pct === null ? null : sum + pct);
    });
    return [...perCpu.values()];
  }

  private failAll(error: Error): void {
    if (!this.failure) this.failure = error;
    for (const w of this.workers) for (const waiter of w.waiting.splice(0)) waiter.reject(this.failure);
    void this.kill();
  }

  /** Ends every worker at once (SIGTERM, then SIGKILL). */
  async kill(): Promise<void> {
    const alive = () => this.workers.filter((w) => !w.exited);
    for (const w of alive()) w.child.kill('SIGTERM');
    const hard = setTimeout(() => {
      for (const w of alive()) w.child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    await Promise.all(this.workers.map((w) => w.exit));
    clearTimeout(hard);
  }

  /** Closes the clients (close handshakes) and lets the workers exit; kills those that do not. */
  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.failure) {
      const closing = this.workers.map((w, i) => (w.exited ? Promise.resolve() : this.send(i, { cmd: 'close' }, 'closed').then(() => w.exit, () => {})));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
      await Promise.race([Promise.all(closing), timeout]);
    }
    await this.kill();
  }
}

// ---------------------------------------------------------------------------------------------

function handshakeSummary(opened: Extract<WsReply, { type: 'opened' }>[]): WsHandshakes & { wallMs: number } {
  const merged = mergeHistograms(opened.map((o) => o.handshakeUs));
  const ok = opened.reduce((s, o) => s + o.ok, 0);
  // The workers open in parallel: the opening took as long as the slowest.
  const wallMs = Math.max(0, ...opened.map((o) => o.openMs));
  return {
    ok,
    failed: opened.reduce((s, o) => s + o.failed, 0),
    errorKinds: opened.reduce((k, o) => addKinds(k, o.errorKinds), {} as Record<string, number>),
    perS: wallMs > 0 ? ok / (wallMs / 1000) : 0,
    latencyMs: wsLatency(merged),
    histogramUs: encode(merged),
    wallMs,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function stopDetail(reason: WsStopReason, step: WsCapacityStep, o: { rttLimitMs: number; maxFailureRatio: number; maxClients: number; openFilesLimit: number; addresses: number }): string {
  const at = `at ${fmt(step.connected)} clients (step ${step.step})`;
  const kinds = Object.entries(step.handshakes.errorKinds)
    .map(([k, n]) => `${fmt(n)} × ${k}`)
    .join(', ');
  switch (reason) {
    case 'rtt-limit':
      return `p95 round trip ${step.rtt.latencyMs.p95.toFixed(1)} ms passed the ${o.rttLimitMs} ms limit ${at}${step.rtt.lost ? `; ${fmt(step.rtt.lost)} of ${fmt(step.rtt.sent)} sample messages unanswered` : ''}.`;
    case 'failures':
      return `${fmt(step.handshakes.failed)} of ${fmt(step.handshakes.ok + step.handshakes.failed)} connects failed in step ${step.step} (more than ${(o.maxFailureRatio * 100).toFixed(1)}%): ${kinds}.`;
    case 'ceiling':
      return `reached the ceiling of ${fmt(o.maxClients)} clients with ${fmt(step.connected)} connected.`;
    case 'ports':
      return `the loader ran out of source ports ${at}${o.addresses ? ` over ${o.addresses} source address(es)` : ' (the target is not on loopback, so all clients share one source address)'}: ${kinds}.`;
    case 'file-descriptors':
      return `a worker reached its open-files limit (${fmt(o.openFilesLimit)}) ${at}: ${kinds}. Raise the hard limit (ulimit -Hn, or run with CAP_SYS_RESOURCE), or allow more workers per CPU (maxWorkersPerCpu).`;
    case 'loader-memory':
      return `the loader machine ran low on memory ${at}${kinds ? `: ${kinds}` : ''}.`;
    case 'caller':
      return `the scenario stopped the ramp ${at}.`;
  }
}

export function createWsLoader(options: WsLoaderOptions): WsLoader {
  const { cpus, runtime } = options;
  if (cpus.length === 0) throw new UserError('The WebSocket loader needs at least one loader CPU.');
  if (runtime.command.length === 0) throw new UserError('The WebSocket loader needs a command that runs a .ts program.');
  const perAddress = options.clientsPerSourceAddress ?? DEFAULTS.clientsPerSourceAddress;
  const messageTimeoutMs = options.messageTimeoutMs ?? DEFAULTS.messageTimeoutMs;

  async function startPool(url: string, protocol: WsProtocol | undefined, clients: number, signal: AbortSignal | undefined) {
    if (!Number.isInteger(clients) || clients < 1) throw new UserError(`clients must be a positive integer, got ${clients}`);
    const target = await resolveTarget(url, protocol);
    const ports = sourcePortRange();
    // Room for retries: a port in use elsewhere (a listener, a socket in TIME_WAIT) is skipped.
    const spread = Math.max(1, Math.min(perAddress, Math.floor((ports.high - ports.low + 1) * 0.9)));
    const sourceAddresses = sourceAddressesFor(target.ip, clients, spread);
    const config: WsWorkerConfig = {
      host: target.ip,
      port: target.port,
      hostHeader: target.hostHeader,
      origin: options.origin === undefined ? `http://${target.hostHeader}` : options.origin,
      sourceAddresses,
      sourcePorts: sourceAddresses.length ? { ...ports, planned: Math.ceil(clients / sourceAddresses.length) } : null,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      messageTimeoutMs,
      connectConcurrency: 1,
      ...(target.socketio && { socketio: target.socketio }),
    };
    const openFiles = openFilesPlan(options.maxOpenFiles ?? DEFAULTS.maxOpenFiles);
    const workerCpus = planWorkerCpus(clients, cpus, openFiles.limit, options.maxWorkersPerCpu ?? DEFAULTS.maxWorkersPerCpu);
    // The loader's total, shared by its workers: more workers must not mean more handshakes queued at the server.
    config.connectConcurrency = Math.max(1, Math.ceil((options.connectConcurrency ?? DEFAULTS.connectConcurrency) / workerCpus.length));
    const pool = await WorkerPool.start({ cpus: workerCpus, runtime, config, openFiles, ...(signal && { signal }) });
    return { pool, target, sourceAddresses };
  }

  /** Opens `clients` clients split over the workers, with consecutive ids from `firstId`. */
  async function open(pool: WorkerPool, path: string, clients: number, firstId: number) {
    const counts = splitEvenly(clients, pool.workers.length);
    let id = firstId;
    const cmds = counts.map((count) => {
      const cmd: WsCommand = { cmd: 'open', path, count, firstId: id };
      id += count;
      return cmd;
    });
    return (await pool.all(cmds, 'opened')) as Extract<WsReply, { type: 'opened' }>[];
  }

  const busiest = (cpu: (number | null)[]) => {
    const known = cpu.filter((p): p is number => p !== null);
    return { loaderCpuPct: known.length ? Math.max(...known) : null, ...(known.length === cpu.length && { loaderCpuPerCpu: known }) };
  };

  return {
    name: 'harness-ws',
    version: '1',
    runtime: `${runtime.name} ${runtime.version}`,

    async capacity(request: WsCapacityRequest, o: WsCapacityOptions = {}): Promise<WsCapacityResult> {
      const rttLimitMs = request.rttLimitMs ?? DEFAULTS.rttLimitMs;
      const maxFailureRatio = request.maxFailureRatio ?? DEFAULTS.maxFailureRatio;
      const sampleMessages = request.sampleMessages ?? DEFAULTS.sampleMessages;
      const sampleRate = request.sampleRate ?? DEFAULTS.sampleRate;
      const bytes = request.messageBytes ?? DEFAULTS.messageBytes;
      if (!Number.isInteger(request.stepClients) || request.stepClients < 1) throw new UserError(`stepClients must be a positive integer, got ${request.stepClients}`);
      if (!Number.isInteger(request.maxClients) || request.maxClients < 1) throw new UserError(`maxClients must be a positive integer, got ${request.maxClients}`);
      const mem = memAvailableBytes();
      const minFree = options.minFreeMemoryBytes ?? Math.max(512 * 1024 * 1024, (mem?.total ?? 0) * 0.05);
      const { pool, target, sourceAddresses } = await startPool(request.url, request.protocol, request.maxClients, o.signal);
      try {
        const steps: WsCapacityStep[] = [];
        const allOpened: Extract<WsReply, { type: 'opened' }>[] = [];
        let openWallMs = 0;
        let requested = 0;
        let stop: WsStopReason | null = null;
        const t0 = performance.now();
        for (let n = 1; stop === null; n++) {
          const mark = pool.cpuMark();
          const count = Math.min(request.stepClients, request.maxClients - requested);
          const opened = await open(pool, target.path, count, requested);
          requested += count;
          allOpened.push(...opened);
          const handshakes = handshakeSummary(opened);
          openWallMs += handshakes.wallMs;
          const held = opened.map((r) => r.open);
          const split = splitByWeight(sampleMessages, held);
          const sampled = (await pool.all(
            split.map((m) => ({ cmd: 'sample', messages: m, rate: Math.max(1e-3, (sampleRate * m) / Math.max(1, sampleMessages)), bytes }) as WsCommand),
            'sampled',
          )) as Extract<WsReply, { type: 'sampled' }>[];
          const rttHistogram = mergeHistograms(sampled.map((s) => s.rttUs));
          const dropKinds: Record<string, number> = {};
          for (const r of [...opened, ...sampled]) addKinds(dropKinds, r.dropKinds);
          const { wallMs: _, ...handshakeFigures } = handshakes;
          const step: WsCapacityStep = {
            step: n,
            requested,
            connected: sampled.reduce((s, r) => s + r.open, 0),
            handshakes: handshakeFigures,
            dropped: [...opened, ...sampled].reduce((s, r) => s + r.dropped, 0),
            dropKinds,
            unexpected: sampled.reduce((s, r) => s + r.unexpected, 0),
            rtt: {
              sent: sampled.reduce((s, r) => s + r.sent, 0),
              received: sampled.reduce((s, r) => s + r.received, 0),
              lost: sampled.reduce((s, r) => s + r.lost, 0),
              latencyMs: wsLatency(rttHistogram),
              histogramUs: encode(rttHistogram),
            },
            rttLateness: lateness(sampled),
            loaderCpuPct: busiest(pool.cpuSince(mark)).loaderCpuPct,
            atMs: performance.now() - t0,
            stop: null,
          };
          const attempted = handshakes.ok + handshakes.failed;
          const free = memAvailableBytes();
          stop =
            resourceStopReason(handshakes.errorKinds) ??
            (attempted > 0 && handshakes.failed / attempted > maxFailureRatio ? 'failures' : null) ??
            (step.connected === 0 ? 'failures' : null) ??
            (step.rtt.latencyMs.p95 > rttLimitMs ? 'rtt-limit' : null) ??
            (free && free.available < minFree ? 'loader-memory' : null) ??
            (requested >= request.maxClients ? 'ceiling' : null);
          step.stop = stop;
          steps.push(step);
          const verdict = await o.onStep?.(step);
          if (stop === null && verdict === 'stop') {
            stop = 'caller';
            step.stop = 'caller';
          }
        }
        const last = steps.at(-1)!;
        const within = steps.filter((s) => s.rtt.latencyMs.p95 <= rttLimitMs && s.handshakes.failed <= maxFailureRatio * (s.handshakes.ok + s.handshakes.failed) && s.connected > 0);
        const all = handshakeSummary(allOpened);
        const { wallMs: _, ...handshakes } = all;
        return {
          steps,
          stopReason: stop,
          stopDetail: stopDetail(stop, last, { rttLimitMs, maxFailureRatio, maxClients: request.maxClients, openFilesLimit: pool.openFilesLimit, addresses: sourceAddresses.length }),
          maxClientsWithinLimits: Math.max(0, ...within.map((s) => s.connected)),
          maxConnected: Math.max(0, ...steps.map((s) => s.connected)),
          handshakes: { ...handshakes, perS: openWallMs > 0 ? handshakes.ok / (openWallMs / 1000) : 0 },
          rttLimitMs,
          sourceAddresses,
          openFilesLimit: pool.openFilesLimit,
          workers: pool.workers.length,
        };
      } finally {
        await pool.close();
      }
    },

    async echo(request: WsEchoRequest, signal?: AbortSignal): Promise<WsEchoResult> {
      if (!(request.ratePerClient > 0) || !(request.durationS > 0)) throw new UserError('echo needs a positive ratePerClient and durationS.');
      const bytes = request.messageBytes ?? DEFAULTS.messageBytes;
      const { pool, target } = await startPool(request.url, request.protocol, request.clients, signal);
      try {
        const opened = await open(pool, target.path, request.clients, 0);
        const { wallMs: _, ...handshakes } = handshakeSummary(opened);
        const mark = pool.cpuMark();
        const echoed = (await pool.all(
          pool.workers.map(() => ({ cmd: 'echo', ratePerClient: request.ratePerClient, durationS: request.durationS, bytes }) as WsCommand),
          'echoed',
        )) as Extract<WsReply, { type: 'echoed' }>[];
        const cpu = busiest(pool.cpuSince(mark));
        const h = mergeHistograms(echoed.map((e) => e.rttUs));
        const sum = (f: (e: (typeof echoed)[number]) => number) => echoed.reduce((s, e) => s + f(e), 0);
        const durationS = Math.max(0, ...echoed.map((e) => e.durationS));
        const clients = sum((e) => e.clients);
        const sent = sum((e) => e.sent);
        return {
          clients,
          handshakes,
          durationS,
          rtt: { sent, received: sum((e) => e.received), lost: sum((e) => e.lost), latencyMs: wsLatency(h), histogramUs: encode(h) },
          lateness: lateness(echoed),
          messagesPerS: durationS > 0 ? sum((e) => e.received) / durationS : 0,
          requestedRate: request.ratePerClient * clients,
          achievedRate: sum((e) => (e.sendDurationS > 0 ? e.sent / e.sendDurationS : 0)),
          outOfOrder: sum((e) => e.outOfOrder),
          misrouted: sum((e) => e.misrouted),
          unexpected: sum((e) => e.unexpected),
          dropped: sum((e) => e.dropped) + opened.reduce((s, o) => s + o.dropped, 0),
          dropKinds: [...opened, ...echoed].reduce((k, r) => addKinds(k, r.dropKinds), {} as Record<string, number>),
          ...cpu,
        };
      } finally {
        await pool.close();
      }
    },

    async broadcast(request: WsBroadcastRequest, signal?: AbortSignal): Promise<WsBroadcastResult> {
      if (!(request.durationS > 0)) throw new UserError('broadcast needs a positive durationS.');
      if (request.rate !== undefined && !(request.rate > 0)) throw new UserError(`broadcast rate must be positive, got ${request.rate}`);
      const bytes = request.messageBytes ?? DEFAULTS.messageBytes;
      const { pool, target } = await startPool(request.url, request.protocol, request.clients, signal);
      try {
        const opened = await open(pool, target.path, request.clients, 0);
        const { wallMs: _, ...handshakes } = handshakeSummary(opened);
        // Worker 0's first open client broadcasts; the others learn its id.
        const first = await pool.send(0, { cmd: 'listen', sender: -1 }, 'listening');
        if (first.sender < 0) throw new UserError(`No client could connect to ${request.url} to broadcast from: ${JSON.stringify(handshakes.errorKinds)}.`);
        const others = await pool.all(
          pool.workers.map((_, i) => (i === 0 ? null : ({ cmd: 'listen', sender: first.sender } as WsCommand))),
          'listening',
        );
        const mark = pool.cpuMark();
        const sentRounds = await pool.send(0, { cmd: 'send-rounds', rate: request.rate ?? null, durationS: request.durationS, bytes }, 'rounds-sent');
        const collected = (await pool.all(
          pool.workers.map(() => ({ cmd: 'collect', rounds: sentRounds.rounds }) as WsCommand),
          'collected',
        )) as Extract<WsReply, { type: 'collected' }>[];
        const cpu = busiest(pool.cpuSince(mark));

        const rounds = sentRounds.rounds;
        const totals = new Float64Array(rounds);
        const maxUs = new Float64Array(rounds);
        for (const c of collected) {
          const counts = new Uint32Array(new Uint8Array(Buffer.from(c.counts, 'base64')).buffer);
          const max = new Uint32Array(new Uint8Array(Buffer.from(c.maxUs, 'base64')).buffer);
          for (let r = 0; r < rounds; r++) {
            totals[r]! += counts[r] ?? 0;
            if ((max[r] ?? 0) > maxUs[r]!) maxUs[r] = max[r]!;
          }
        }
        const clientsAtEnd = collected.reduce((s, c) => s + c.open, 0);
        const fanout = emptyHistogram();
        let complete = 0;
        let deliveries = 0;
        for (let r = 0; r < rounds; r++) {
          deliveries += totals[r]!;
          if (clientsAtEnd > 0 && totals[r]! >= clientsAtEnd) {
            complete++;
            fanout.recordValue(Math.min(Math.max(1, maxUs[r]!), 60_000_000));
          }
        }
        const delivery = mergeHistograms(collected.map((c) => c.deliveryUs));
        const lastMs = Math.max(sentRounds.endMs, ...collected.map((c) => c.lastDeliveryMs));
        const durationS = rounds > 0 ? (lastMs - sentRounds.startMs) / 1000 : 0;
        const expected = rounds * clientsAtEnd;
        const replies = [...opened, first, ...others.filter((x) => x !== null), ...collected];
        return {
          clients: (first.open ?? 0) + others.reduce((s, x) => s + (x?.open ?? 0), 0),
          handshakes,
          mode: request.rate === undefined ? 'closed' : 'open',
          rounds,
          completeRounds: complete,
          deliveries,
          expectedDeliveries: expected,
          missing: Math.max(0, expected - deliveries),
          outOfOrder: collected.reduce((s, c) => s + c.outOfOrder, 0),
          unexpected: collected.reduce((s, c) => s + c.unexpected, 0),
          durationS,
          deliveriesPerS: durationS > 0 ? deliveries / durationS : 0,
          fanoutMs: wsLatency(fanout),
          fanoutHistogramUs: encode(fanout),
          deliveryMs: wsLatency(delivery),
          deliveryHistogramUs: encode(delivery),
          dropped: replies.reduce((s, r) => s + r.dropped, 0),
          dropKinds: replies.reduce((k, r) => addKinds(k, r.dropKinds), {} as Record<string, number>),
          ...cpu,
        };
      } finally {
        await pool.close();
      }
    },
  };
}

/** Loader CPUs of this machine are chosen by the caller; this says how many clients the loader could plan for here. */
export function loaderLimits(): { openFilesLimit: number; sourcePortsPerAddress: number; conntrackMax: number | null; memAvailableBytes: number | null; cpus: number } {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const ports = sourcePortRange();
  const conntrack = read('/proc/sys/net/netfilter/nf_conntrack_max');
  return {
    openFilesLimit: openFilesPlan(DEFAULTS.maxOpenFiles).limit,
    sourcePortsPerAddress: ports.high - ports.low + 1,
    conntrackMax: conntrack ? Number(conntrack) : null,
    memAvailableBytes: memAvailableBytes()?.available ?? null,
    cpus: os.cpus().length,
  };
}
