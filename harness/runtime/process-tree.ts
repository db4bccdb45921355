// Resource use of a whole process tree, read from /proc: RSS summed over the tree, CPU time as
// utime+stime (+ reaped children) of every member. Linux only, as is the local runtime.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { ResourceSample } from '../types.ts';

function sysconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
}
const PAGE_BYTES = sysconf('PAGESIZE', 4096);
const CLK_TCK = sysconf('CLK_TCK', 100);

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  rssBytes: number;
  cpuSeconds: number;
}

/** Parses one /proc/<pid>/stat line; the command name may contain spaces and parentheses. */
export function parseProcStat(line: string): ProcStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  // Fields after the name start at field 3 (state); index 0 here is field 3.
  const f = line.slice(close + 2).split(' ');
  const num = (field: number) => Number(f[field - 3]);
  const ticks = num(14) + num(15) + num(16) + num(17);
  return { pid, ppid: num(4), pgid: num(5), state: f[0] ?? '?', rssBytes: num(24) * PAGE_BYTES, cpuSeconds: ticks / CLK_TCK };
}

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** The root and all its descendants. */
export function processTree(rootPid: number, processes: ProcStat[] = allProcesses()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const root = processes.find((p) => p.pid === rootPid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!.pid) ?? []));
  return tree;
}

/** The local runtime's reading: PSS of the tree as its memory figure, RSS beside it. A reading whose PSS could not be read whole (a member exited meanwhile) is skipped, never reported as partial. */
export function sampleTree(rootPid: number): ResourceSample | null {
  const m = sampleTreeMemory(rootPid);
  if (!m || m.pssBytes === null) return null;
  return { atMs: m.atMs, memoryBytes: m.pssBytes, rssBytes: m.rssBytes, cpuSeconds: m.cpuSeconds };
}

export const PSS_LABEL =
  "PSS summed over the target's process tree (/proc/PID/smaps_rollup: each shared page divided among the processes that map it, so forked workers' shared pages count once)";

/** Live (non-zombie) pids whose process group is `pgid`: what is left of a target after a stop. */
export function processGroupMembers(pgid: number): number[] {
  return allProcesses().filter((p) => p.pgid === pgid && p.state !== 'Z').map((p) => p.pid);
}

// ---------------------------------------------------------------------------------------------
// PSS (proportional set size). RSS summed over a tree counts every shared page (the runtime
// binary, shared libraries, copy-on-write memory a forked worker still shares with its parent)
// once per process that maps it. PSS divides each shared page among the processes that map it,
// so a sum over the tree counts every page once: the tree's honest share of physical memory.

/**
 * Parses /proc/<pid>/smaps_rollup (values in kB). Also accepts a full /proc/<pid>/smaps, whose
 * per-mapping 'Pss:' and 'Rss:' lines are summed. Null when either figure is absent.
 */
export function parseSmapsRollup(text: string): { pssBytes: number; rssBytes: number } | null {
  let pssKb = 0;
  let rssKb = 0;
  let sawPss = false;
  let sawRss = false;
  for (const m of text.matchAll(/^(Pss|Rss):\s+(\d+)\s*kB\s*$/gm)) {
    const kb = Number(m[2]);
    if (m[1] === 'Pss') {
      pssKb += kb;
      sawPss = true;
    } else {
      rssKb += kb;
      sawRss = true;
    }
  }
  return sawPss && sawRss ? { pssBytes: pssKb * 1024, rssBytes: rssKb * 1024 } : null;
}

/**
 * PSS of one process in bytes, from /proc/<pid>/smaps_rollup (kernel ≥ 4.14; falls back to
 * summing /proc/<pid>/smaps where the rollup file does not exist). Null when it cannot be read:
 * the process is gone or is a zombie (ESRCH), or reading it is not permitted (EACCES: another
 * user's process without CAP_SYS_PTRACE).
 */
export function readPss(pid: number): number | null {
  for (const file of ['smaps_rollup', 'smaps']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && file === 'smaps_rollup' && fs.existsSync(`/proc/${pid}`)) continue;
      return null;
    }
    return parseSmapsRollup(text)?.pssBytes ?? null;
  }
  return null;
}

/** Deliberately independent of ResourceSample, so callers map it to whatever figure they report. */
export interface TreeMemorySample {
  atMs: number;
  /** PSS summed over the tree; null when any member's PSS could not be read (never a partial sum). */
  pssBytes: number | null;
  /** RSS summed over the tree (from /proc/<pid>/stat, as sampleTree): shared pages counted once per process. */
  rssBytes: number;
  /** Cumulative CPU time of the tree (utime+stime+cutime+cstime), in seconds. */
  cpuSeconds: number;
}

/**
 * Like sampleTree (same tree, same RSS and CPU sums, RSS from /proc/<pid>/stat), plus PSS summed
 * over the tree. Zombies count as 0 PSS (they have no address space left; their stat RSS is 0 too).
 */
export function sampleTreeMemory(rootPid: number): TreeMemorySample | null {
  const tree = processTree(rootPid);
  if (tree.length === 0) return null;
  let pssBytes: number | null = 0;
  for (const p of tree) {
    if (p.state === 'Z') continue;
    const pss = readPss(p.pid);
    if (pss === null) {
      pssBytes = null;
      break;
    }
    pssBytes += pss;
  }
  return {
    atMs: performance.now(),
    pssBytes,
    rssBytes: tree.reduce((s, p) => s + p.rssBytes, 0),
    cpuSeconds: tree.reduce((s, p) => s + p.cpuSeconds, 0),
  };
}
