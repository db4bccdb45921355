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

export function sampleTree(rootPid: number): ResourceSample | null {
  const tree = processTree(rootPid);
  if (tree.length === 0) return null;
  return {
    atMs: performance.now(),
    rssBytes: tree.reduce((s, p) => s + p.rssBytes, 0),
    cpuSeconds: tree.reduce((s, p) => s + p.cpuSeconds, 0),
  };
}

/** Live (non-zombie) pids whose process group is `pgid`: what is left of a target after a stop. */
export function processGroupMembers(pgid: number): number[] {
  return allProcesses().filter((p) => p.pgid === pgid && p.state !== 'Z').map((p) => p.pid);
}
