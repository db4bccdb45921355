// Pins the harness process itself (every thread, with taskset -a) to the given CPUs, so that its
// readiness polls and resource sampling never run on the target's CPU. Threads started later
// inherit the affinity, and so do the children it spawns (the reaper, loaders re-pin themselves).
import { execa } from 'execa';

export async function pinProcess(pid: number, cpus: number[]): Promise<boolean> {
  const r = await execa('taskset', ['-a', '-p', '-c', cpus.join(','), String(pid)], { reject: false, stdin: 'ignore' });
  return r.exitCode === 0;
}

/** The CPUs a process may run on, from /proc/PID/status (Cpus_allowed_list). */
export async function affinityOf(pid: number): Promise<number[] | null> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(text)?.[1];
  if (!list) return null;
  return list.split(',').flatMap((part) => {
    const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
  });
}
