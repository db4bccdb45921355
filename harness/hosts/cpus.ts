// CPUs of a run spread over several hosts. Each machine splits its own CPUs between the roles it
// runs, as one machine does today (harness/runtime/cpus.ts); a machine that runs one role gives it
// every CPU. Hosts with the same kernel boot id are one machine (network namespaces, containers):
// they share its CPUs, and the plan is the one-machine plan, saying so.
import { describeSharing, planCpus, type CpuPlan } from '../runtime/cpus.ts';
import type { HostRecord } from '../schema.ts';
import type { HostPlan, HostRole, RunHost } from './plan.ts';

export interface CpuFlags {
  target?: number[];
  loader?: number[];
  service?: number[];
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The machine a host is on: its boot id, else the host itself. */
const machineOf = (h: RunHost, records: HostRecord[]) => records.find((r) => r.name === h.name)?.bootId ?? `host ${h.name}`;

export function planHostCpus(plan: HostPlan, records: HostRecord[], flags: CpuFlags, usesServices: boolean): { cpus: CpuPlan; shared: string[] } {
  const rec = (h: RunHost) => records.find((r) => r.name === h.name)!;
  const machines = new Map<string, RunHost[]>();
  for (const h of plan.hosts) machines.set(machineOf(h, records), [...(machines.get(machineOf(h, records)) ?? []), h]);
  const here = plan.hosts.find((h) => !h.remote);
  // One machine underneath them all: the one-machine plan.
  if (machines.size === 1) {
    const cpus = planCpus(rec(plan.hosts[0]!).cores, flags.target, flags.loader, flags.service);
    const note = plan.hosts.length > 1 ? [`the hosts ${plan.hosts.map((h) => h.name).join(', ')} are one machine (the same kernel boot id), so they share its ${rec(plan.hosts[0]!).cores} CPUs as one machine's roles do`] : [];
    return { cpus, shared: [...note, ...describeSharing(cpus, usesServices)] };
  }
  const rolesOn = (h: RunHost): HostRole[] => (machines.get(machineOf(h, records)) ?? [h]).flatMap((x) => x.roles);
  const cpusOf = (role: HostRole): number[] => {
    const host = plan[role];
    const roles = rolesOn(host);
    const cores = rec(host).cores;
    if (roles.includes('target') && roles.length > 1) {
      // A machine without the services keeps no CPU for them.
      const p = planCpus(cores, flags.target, flags.loader, roles.includes('service') ? flags.service : (flags.service ?? []));
      return role === 'target' ? p.targetCpus : role === 'loader' ? p.loaderCpus : p.serviceCpus;
    }
    return flags[role] ?? all(cores);
  };
  const targetCpus = cpusOf('target');
  const loaderCpus = cpusOf('loader');
  const serviceCpus = cpusOf('service');
  // The harness runs here: off the target's CPUs when the target runs here too.
  const herePlan = here && rolesOn(here).includes('target') ? planCpus(rec(here).cores, flags.target, flags.loader, flags.service).harnessCpus : all(here ? rec(here).cores : 1);
  const shared: string[] = [];
  for (const hosts of machines.values()) {
    const roles = hosts.flatMap((h) => h.roles);
    if (roles.length > 1) shared.push(`${roles.join(', ')} share the machine of ${hosts.map((h) => h.name).join(', ')}`);
  }
  shared.push(`each host's CPU numbers are its own: target on ${plan.target.name}, loader on ${plan.loader.name}${usesServices ? `, services on ${plan.service.name}` : ''}`);
  return { cpus: { targetCpus, loaderCpus, serviceCpus, harnessCpus: herePlan }, shared };
}
