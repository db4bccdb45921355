// The hosts of a run spread over several engines: what ran where, on what machine, and each host's
// clock against this machine's. Absent for a run on this machine alone.
import type { RunResults, Table } from '../types.ts';
import { fmtGiB } from './format.ts';

export function hostsTable(results: RunResults): Table | null {
  const hosts = results.environment.hosts;
  if (!hosts?.length) return null;
  return {
    header: ['host', 'ran', 'machine', 'engine', 'clock against this machine'],
    rows: hosts.map((h) => [
      `${h.name}${h.remote ? ` (${h.ip})` : ''}${h.insecure ? ', reached over plain tcp:// (--insecure-engines: unauthenticated, unencrypted)' : ''}`,
      h.roles.join(', '),
      `${h.cpuModel}, ${h.cores} CPUs, ${fmtGiB(h.memoryBytes)}, kernel ${h.kernel}${h.bootId && hosts.some((o) => o !== h && o.bootId === h.bootId) ? ' (one machine with the hosts of the same boot id)' : ''}`,
      `${h.engine.name} ${h.engine.version} (API ${h.engine.apiVersion})`,
      h.clock ? `${h.clock.offsetMs >= 0 ? '+' : ''}${h.clock.offsetMs.toFixed(2)} ms, ±${(h.clock.rttMs / 2).toFixed(2)} ms (${h.clock.method}); timestamps in results.json are this machine's` : h.remote ? 'not measured' : 'this machine: the clock of every timestamp',
    ]),
  };
}

/** One line for the report's header: the claims rest on one target host. */
export function hostsNote(results: RunResults): string | null {
  const hosts = results.environment.hosts;
  if (!hosts?.length) return null;
  const target = hosts.find((h) => h.roles.includes('target'));
  return `The targets ran on ${target?.name ?? 'one host'}; every ratio is taken between figures of that one host (see Hosts).`;
}
