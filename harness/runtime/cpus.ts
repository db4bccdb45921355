// Splits the machine's CPUs between the target, the loader, the services and the harness itself,
// so that the target never shares a core with anything else. On fewer than 4 cores the services
// and the harness share the loader's CPUs (recorded, and said in the report); on 4 or more the
// services get a CPU of their own.
import os from 'node:os';
import { UserError } from '../errors.ts';

export interface CpuPlan {
  targetCpus: number[];
  loaderCpus: number[];
  serviceCpus: number[];
  /** The harness process (its readiness polls and resource sampling) runs here, never on the target's CPUs. */
  harnessCpus: number[];
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
export function planCpus(total: number, target?: number[], loader?: number[], services?: number[]): CpuPlan {
  const all = Array.from({ length: total }, (_, i) => i);
  for (const [name, list] of [['--target-cpus', target], ['--loader-cpus', loader], ['--service-cpus', services]] as const) {
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
  const lower = target ? all.filter((c) => !target.includes(c)) : all.slice(0, half);
  // On 4+ cores the services get the top CPU of the lower half, unless the user placed things.
  const ownServiceCpu = !services && !loader && total >= 4 && lower.length >= 2;
  const serviceCpus = services ?? (ownServiceCpu ? [lower.at(-1)!] : (loader ?? lower));
  const loaderCpus = loader ?? (ownServiceCpu ? lower.slice(0, -1) : lower);
  const targetCpus = target ?? all.filter((c) => !loaderCpus.includes(c) && !(ownServiceCpu && serviceCpus.includes(c)));
  if (targetCpus.length === 0) throw new UserError('No CPU is left for the target.', 'Give fewer CPUs to --loader-cpus or set --target-cpus.');
  if (loaderCpus.length === 0) throw new UserError('No CPU is left for the loader.', 'Give fewer CPUs to --target-cpus or set --loader-cpus.');
  return { targetCpus, loaderCpus, serviceCpus, harnessCpus: loaderCpus };
}

/** What shares a CPU with what, in words, for results.json and the report. */
export function describeSharing(plan: CpuPlan, usesServices: boolean): string[] {
  const overlap = (a: number[], b: number[]) => a.some((c) => b.includes(c));
  const out: string[] = [];
  if (overlap(plan.targetCpus, plan.loaderCpus)) out.push('the target shares CPUs with the loader: figures measure both at once');
  out.push(`the harness process runs on the loader's CPUs (${plan.harnessCpus.join(',')})`);
  if (usesServices && overlap(plan.serviceCpus, plan.loaderCpus)) out.push(`the services share the loader's CPUs (${plan.serviceCpus.join(',')}): a busy database slows the loader too`);
  if (usesServices && overlap(plan.serviceCpus, plan.targetCpus)) out.push('the services share CPUs with the target');
  return out;
}

export function cpuCount(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}
