// The run's side of several hosts: its flags, what bench.config.ts may say instead, and the lines
// that show the hosts before anything starts.
import path from 'node:path';
import type { UserConfig } from '../config.ts';
import { UserError } from '../errors.ts';
import type { HostRecord } from '../schema.ts';
import { dockerOptions, parseHostAddress, type ConnectOptions } from './address.ts';
import type { HostRole, HostSpecs } from './plan.ts';

export const HOST_FLAGS = {
  'target-host': { type: 'string' },
  'service-host': { type: 'string' },
  'loader-host': { type: 'string' },
  'insecure-engines': { type: 'boolean' },
  'ssh-key': { type: 'string' },
  'ssh-known-hosts': { type: 'string' },
} as const;

export const HOST_HELP = `  --target-host ADDR    the engine that runs the targets: unix:///path, ssh://user@host[:port]
                        or tcp://host:port (TLS from DOCKER_CERT_PATH); default: this machine
  --service-host ADDR   the engine that runs the services (PostgreSQL, Redis); default: this machine
  --loader-host ADDR    the engine that runs the load generator's workers; default: this machine
  --insecure-engines    allow plain tcp:// engine addresses (no TLS); the report records it
  --ssh-key FILE        the private key for ssh:// engines (default: the ssh agent, else ~/.ssh/id_*)
  --ssh-known-hosts F   the known_hosts file ssh:// host keys must be in (default ~/.ssh/known_hosts)`;

type HostValues = { [K in keyof typeof HOST_FLAGS]?: K extends 'insecure-engines' ? boolean : string };

/** The roles' engine addresses: the flags, else bench.config.ts `hosts`. */
export function hostSpecs(values: HostValues, config: UserConfig): HostSpecs {
  return {
    ...config.hosts,
    ...(values['target-host'] !== undefined && { target: values['target-host'] }),
    ...(values['service-host'] !== undefined && { service: values['service-host'] }),
    ...(values['loader-host'] !== undefined && { loader: values['loader-host'] }),
  };
}

export function connectOptions(values: HostValues, config: UserConfig, configDir: string): ConnectOptions {
  const file = (p: string | undefined) => (p === undefined ? undefined : path.resolve(configDir, p));
  const sshKey = values['ssh-key'] ?? file(config.sshKey);
  const knownHosts = values['ssh-known-hosts'] ?? file(config.sshKnownHosts);
  return { ...(sshKey && { sshKey }), ...(knownHosts && { knownHosts }), insecure: values['insecure-engines'] ?? config.insecureEngines ?? false };
}

/** Refuses host flags for a runtime that cannot use them, naming the one given; then each address,
 * its key, certificates and known host, before any engine is asked anything. */
export function checkHosts(specs: HostSpecs, connect: ConnectOptions, canHosts: boolean, runtime: string): void {
  const given = Object.entries(specs).filter(([, v]) => v) as [HostRole, string][];
  if (given.length && !canHosts) throw new UserError(`--${given[0]![0]}-host needs a runtime that runs containers through an engine; the ${runtime} runtime runs processes on this machine.`, 'Add --runtime docker.');
  for (const [role, spec] of given) dockerOptions(parseHostAddress(spec, `--${role}-host`), connect);
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** One line per host for the console. */
export function describeHosts(records: HostRecord[]): string[] {
  return records.map(
    (h) =>
      `  ${h.roles.join(', ').padEnd(22)} ${h.name}${h.remote ? ` (${h.ip})` : ''}: ${h.engine.name} ${h.engine.version}, ${h.cores} CPUs ${h.cpuModel}, ${gib(h.memoryBytes)}, kernel ${h.kernel}` +
      `${h.clock ? `, clock ${h.clock.offsetMs >= 0 ? '+' : ''}${h.clock.offsetMs.toFixed(1)} ms (±${(h.clock.rttMs / 2).toFixed(1)})` : ''}${h.insecure ? ', plain tcp:// (--insecure-engines)' : ''}`,
  );
}
