// What the machine lets the WebSocket loader hold, read from the kernel and planned around: the
// open-files limit each worker gets (raised with prlimit as far as the process may) and how many
// workers each loader CPU needs for it, the loopback source addresses and the explicit source-port
// range the clients are spread over (one address has ~22k ports outside the ephemeral range), and
// the memory left. Pure or nearly, and exported for tests.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** The open-files limit asked for each worker when none is given. */
export const MAX_OPEN_FILES = 1_048_576;

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

export function memAvailableBytes(): { available: number; total: number } | null {
  try {
    const text = fs.readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    const available = kb('MemAvailable');
    return Number.isFinite(available) ? { available, total: kb('MemTotal') } : null;
  } catch {
    return null;
  }
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
    openFilesLimit: openFilesPlan(MAX_OPEN_FILES).limit,
    sourcePortsPerAddress: ports.high - ports.low + 1,
    conntrackMax: conntrack ? Number(conntrack) : null,
    memAvailableBytes: memAvailableBytes()?.available ?? null,
    cpus: os.cpus().length,
  };
}
