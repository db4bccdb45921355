// Splits the machine's CPUs between the target and the loader so that they never share a core.
import os from 'node:os';
import { UserError } from '../errors.ts';

export interface CpuPlan {
  targetCpus: number[];
  loaderCpus: number[];
}

/** Parses "0,2-3" into [0, 2, 3]. */
export function parseCpuList(text: string, field: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UserError(`${field}: "${part}" is not a CPU number or range.`, `Use a list such as 0 or 0,1 or 2-3.`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new UserError(`${field}: range "${part}" runs backwards.`, `Write it low-high, e.g. ${hi}-${lo}.`);
    for (let c = lo; c <= hi; c++) cpus.add(c);
  }
  if (cpus.size === 0) throw new UserError(`${field} is empty.`, 'Give at least one CPU number.');
  return [...cpus].sort((a, b) => a - b);
}

/** Default plan: the loader gets the lower half of the CPUs, the target the upper half (1 and 1 on 2 cores). */
export function planCpus(total: number, target?: number[], loader?: number[]): CpuPlan {
  const all = Array.from({ length: total }, (_, i) => i);
  for (const [name, list] of [['--target-cpus', target], ['--loader-cpus', loader]] as const) {
    const bad = list?.find((c) => c >= total);
    if (bad !== undefined) throw new UserError(`${name}: CPU ${bad} does not exist; this machine has CPUs 0-${total - 1}.`, `Pick CPUs from 0-${total - 1}.`);
  }
  if (total < 2 && !(target && loader)) {
    throw new UserError(
      'This machine has 1 CPU, so the target and the loader would share it and the figures would measure both at once.',
      'Run on a machine with at least 2 CPUs, or pass --target-cpus 0 --loader-cpus 0 to accept shared CPUs.',
    );
  }
  const half = Math.floor(total / 2);
  const loaderCpus = loader ?? (target ? all.filter((c) => !target.includes(c)) : all.slice(0, half));
  const targetCpus = target ?? all.filter((c) => !loaderCpus.includes(c));
  if (targetCpus.length === 0) throw new UserError('No CPU is left for the target.', 'Give fewer CPUs to --loader-cpus or set --target-cpus.');
  if (loaderCpus.length === 0) throw new UserError('No CPU is left for the loader.', 'Give fewer CPUs to --target-cpus or set --loader-cpus.');
  return { targetCpus, loaderCpus };
}

export function cpuCount(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}
