// A process's (typically a container's main process's) cgroup, read from the host: where its memory
// and CPU accounting files live, and what they say. Reading these files directly gives the
// container's memory without asking the engine's API during a measurement (which costs CPU), and
// works where the Docker-compatible stats API has no memory detail (Podman 4.3 on cgroup v1 returns
// no `memory_stats.stats`, so "usage without page cache" there subtracted nothing). Linux only.
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupPaths {
  version: 1 | 2;
  /** v1: the memory controller's directory for this cgroup, e.g. /sys/fs/cgroup/memory/libpod_parent/libpod-<id>. */
  memory?: string;
  /** v1: the cpuacct controller's directory (under cpu,cpuacct or cpuacct, whichever is mounted). */
  cpuacct?: string;
  /**
   * v2: the cgroup's directory, e.g. /sys/fs/cgroup/machine.slice/libpod-<id>.scope.
   * v1 hybrid hosts: the directory in the v2 hierarchy mounted at <root>/unified, when one is mounted
   * (it has no memory controller there; informational only).
   */
  unified?: string;
}

export interface CgroupMemory {
  version: 1 | 2;
  /** usage − inactive file cache: what the kubelet and `docker stats` call the working set. */
  workingSetBytes: number;
  /** Total usage, page cache included (v1 memory.usage_in_bytes, v2 memory.current). */
  usageBytes: number;
  /** Anonymous memory (v1 total_rss, v2 anon). */
  anonBytes: number;
  /** Page cache (v1 total_cache, v2 file). */
  cacheBytes: number;
  /** Inactive file cache subtracted from usage (v1 total_inactive_file, v2 inactive_file). */
  inactiveFileBytes: number;
}

interface CgroupMount {
  /** Directory inside the hierarchy that is mounted (the 4th field of mountinfo; '/' on the host). */
  root: string;
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** Super options of a v1 mount: its controllers (and name=...). */
  options: string[];
}

/** cgroup mounts listed in a /proc/<pid>/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const root = left[3];
    const mountPoint = left[4];
    if (root === undefined || mountPoint === undefined) continue;
    out.push({ root: unescape(root), mountPoint: unescape(mountPoint), fsType, options: superOptions.split(',') });
  }
  return out;
}

/** path.posix.join without the trailing slash it leaves when the last part is '/'. */
function join(...parts: string[]): string {
  const joined = path.posix.join(...parts);
  return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The host's cgroup mounts, only consulted when root is the real /sys/fs/cgroup. */
function hostMounts(root: string): CgroupMount[] {
  if (path.resolve(root) !== DEFAULT_CGROUP_ROOT) return [];
  const text = readText('/proc/self/mountinfo');
  return text ? parseCgroupMounts(text).filter((m) => m.mountPoint === root || m.mountPoint.startsWith(root + '/')) : [];
}

/** `cgroupPath` (as /proc/<pid>/cgroup shows it) inside a mount whose root may be a subdirectory. */
function under(mountPoint: string, mountRoot: string, cgroupPath: string): string {
  let rel = cgroupPath;
  if (mountRoot !== '/' && (rel === mountRoot || rel.startsWith(mountRoot + '/'))) rel = rel.slice(mountRoot.length);
  return join(mountPoint, rel);
}

/** The directory of a v1 controller for `cgroupPath`: from mountinfo, else the first usual name that exists. */
function v1Dir(controller: string, lineControllers: string[], cgroupPath: string, root: string, mounts: CgroupMount[]): string {
  const mount = mounts.find((m) => m.fsType === 'cgroup' && m.options.includes(controller));
  if (mount) return under(mount.mountPoint, mount.root, cgroupPath);
  const names = [...new Set([lineControllers.join(','), controller, [...lineControllers].sort().join(','), 'cpu,cpuacct', 'cpuacct,cpu'])];
  const candidates = names.filter((n) => n === controller || n.split(',').includes(controller));
  const found = candidates.find((n) => fs.existsSync(join(root, n)));
  return join(root, found ?? lineControllers.join(','), cgroupPath);
}

/**
 * Parses /proc/<pid>/cgroup into the directories holding that process's accounting files.
 * v1 lines look like `7:memory:/libpod_parent/libpod-<id>` or `4:cpu,cpuacct:/...` (a hybrid host
 * also has a `0::/...` line for its v2 hierarchy); a pure v2 host has the single line `0::/path`.
 * `root` is where the hierarchies are mounted (tests point it at a temp folder).
 */
export function parseProcCgroup(text: string, root: string = DEFAULT_CGROUP_ROOT): CgroupPaths {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const a = l.indexOf(':');
      const b = l.indexOf(':', a + 1);
      return { controllers: l.slice(a + 1, b).split(',').filter(Boolean), path: l.slice(b + 1) || '/' };
    });
  const mounts = hostMounts(root);
  const v2 = lines.find((l) => l.controllers.length === 0);
  const v1 = lines.filter((l) => l.controllers.some((c) => !c.startsWith('name=')));
  if (v1.length === 0) {
    const mount = mounts.find((m) => m.fsType === 'cgroup2');
    const unified = v2 ? (mount ? under(mount.mountPoint, mount.root, v2.path) : join(root, v2.path)) : undefined;
    return { version: 2, ...(unified ? { unified } : {}) };
  }
  const out: CgroupPaths = { version: 1 };
  const memory = v1.find((l) => l.controllers.includes('memory'));
  if (memory) out.memory = v1Dir('memory', memory.controllers, memory.path, root, mounts);
  const cpuacct = v1.find((l) => l.controllers.includes('cpuacct'));
  if (cpuacct) out.cpuacct = v1Dir('cpuacct', cpuacct.controllers, cpuacct.path, root, mounts);
  if (v2) {
    const mount = mounts.find((m) => m.fsType === 'cgroup2');
    if (mount) out.unified = under(mount.mountPoint, mount.root, v2.path);
    else if (mounts.length === 0 && fs.existsSync(join(root, 'unified'))) out.unified = join(root, 'unified', v2.path);
  }
  return out;
}

/** memory.stat (or cpu.stat): `key value` lines into numbers. */
export function parseMemoryStat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function readNumber(file: string): number | null {
  const text = readText(file)?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : null;
}

/**
 * The cgroup's memory, or null when its files cannot be read (the cgroup is gone, e.g. the
 * container has exited) or lack a figure needed for the working set.
 */
export function readCgroupMemory(paths: CgroupPaths): CgroupMemory | null {
  if (paths.version === 1) {
    if (!paths.memory) return null;
    const usage = readNumber(join(paths.memory, 'memory.usage_in_bytes'));
    const statText = readText(join(paths.memory, 'memory.stat'));
    if (usage === null || statText === null) return null;
    const stat = parseMemoryStat(statText);
    // total_* include descendant cgroups (hierarchical); the plain names are this cgroup only.
    const pick = (name: string) => stat[`total_${name}`] ?? stat[name];
    return memory(1, usage, pick('rss'), pick('cache'), pick('inactive_file'));
  }
  if (!paths.unified) return null;
  const current = readNumber(join(paths.unified, 'memory.current'));
  const statText = readText(join(paths.unified, 'memory.stat'));
  if (current === null || statText === null) return null;
  const stat = parseMemoryStat(statText);
  return memory(2, current, stat.anon, stat.file, stat.inactive_file);
}

function memory(version: 1 | 2, usage: number, anon?: number, cache?: number, inactiveFile?: number): CgroupMemory | null {
  if (anon === undefined || cache === undefined || inactiveFile === undefined) return null;
  return {
    version,
    // As the kubelet/cAdvisor computes it: never below zero (v1 usage is a batched, slightly fuzzy counter).
    workingSetBytes: Math.max(0, usage - inactiveFile),
    usageBytes: usage,
    anonBytes: anon,
    cacheBytes: cache,
    inactiveFileBytes: inactiveFile,
  };
}

/** Cumulative CPU time of the cgroup in seconds: v1 cpuacct.usage (ns), v2 cpu.stat usage_usec. Null when unreadable. */
export function readCgroupCpuSeconds(paths: CgroupPaths): number | null {
  if (paths.version === 1) {
    if (!paths.cpuacct) return null;
    const ns = readNumber(join(paths.cpuacct, 'cpuacct.usage'));
    return ns === null ? null : ns / 1e9;
  }
  if (!paths.unified) return null;
  const text = readText(join(paths.unified, 'cpu.stat'));
  const usec = text === null ? undefined : parseMemoryStat(text).usage_usec;
  return usec === undefined ? null : usec / 1e6;
}

/** The cgroup of a host process (e.g. a container's main process, from `inspect .State.Pid`); null if it is gone. */
export function cgroupOfPid(pid: number, root: string = DEFAULT_CGROUP_ROOT): CgroupPaths | null {
  const text = readText(`/proc/${pid}/cgroup`);
  return text ? parseProcCgroup(text, root) : null;
}

/** The exact label of CgroupMemory.workingSetBytes, for reports. */
export function describeCgroupMemory(version: 1 | 2): string {
  return version === 1
    ? 'container working set from its cgroup (v1: memory.usage_in_bytes − total_inactive_file)'
    : 'container working set from its cgroup (v2: memory.current − inactive_file)';
}
