// Which engine runs the targets, which the services and which the loader: each a host given by its
// engine's address (--target-host, --service-host, --loader-host or bench.config.ts `hosts`), or
// this machine. Every host is connected once here, and the address at which its containers (host
// networking) are reached is resolved: its IP for another host; for this machine, loopback when
// everything runs here, else the address it has toward the other hosts.
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import type { Engine } from '../docker/engine.ts';
import { UserError } from '../errors.ts';
import { dockerOptions, parseHostAddress, tlsDir, type ConnectOptions, type HostAddress } from './address.ts';

export type HostRole = 'target' | 'service' | 'loader';
export const HOST_ROLES: readonly HostRole[] = ['target', 'service', 'loader'];

export interface RunHost {
  /** 'this machine', or the engine's address as given. */
  name: string;
  /** Null for this machine (its engine is the one the docker runtime finds). */
  address: HostAddress | null;
  engine: Engine;
  /** Where its containers are reached from here and from the other hosts. */
  ip: string;
  remote: boolean;
  roles: HostRole[];
  /** tcp:// without TLS (allowed by --insecure-engines). */
  insecure: boolean;
}

export interface HostPlan {
  target: RunHost;
  service: RunHost;
  loader: RunHost;
  /** Each host once, in the order of its first role. */
  hosts: RunHost[];
  /** True when any role runs on another host: servers must listen beyond loopback. */
  spread: boolean;
}

export type HostSpecs = Partial<Record<HostRole, string>>;

const FIX: Record<HostAddress['kind'], string> = {
  ssh: 'Check that `ssh <user>@<host> docker version` works from this machine (the engine host needs sshd and the Docker CLI, whose `docker system dial-stdio` reaches its Docker or Podman socket).',
  tcp: 'Check that the engine listens there (`curl http://<host>:<port>/_ping` for plain tcp://), and the firewall between.',
  unix: 'Check that the socket exists and its engine runs (`podman system service` or dockerd).',
};

/** Connects to an engine at `address`; the error names the role and the host. */
export async function connectHost(address: HostAddress, role: HostRole, o: ConnectOptions): Promise<Engine> {
  // docker-modem 5 parses an ssh host with url.parse, which makes Node print DEP0170 ("The URL
  // ssh:… is invalid") once per run: noise to a user, and nothing the harness can change.
  if (address.kind === 'ssh') process.noDeprecation = true;
  const docker = new Docker(dockerOptions(address, o));
  let version: Docker.DockerVersion | null;
  try {
    version = (await Promise.race([docker.version(), sleep(20_000).then(() => null)])) as Docker.DockerVersion | null;
  } catch (error) {
    throw new UserError(`The ${role} host ${address.raw} cannot be reached: ${(error as Error).message}.`, FIX[address.kind].replace('<host>', address.host ?? '').replace('<port>', String(address.port ?? '')));
  }
  if (!version) throw new UserError(`The ${role} host ${address.raw} did not answer within 20 s.`, FIX[address.kind]);
  const components = (version as unknown as { Components?: { Name: string }[] }).Components ?? [];
  return { docker, name: components.some((c) => /podman/i.test(c.Name)) ? 'podman' : 'docker', version: version.Version, apiVersion: version.ApiVersion, socket: address.raw, owned: false };
}

/** The address this machine has toward `ip` (the source of its route there; no packet is sent). */
export async function localAddressToward(ip: string): Promise<string> {
  const socket = dgram.createSocket(net.isIPv6(ip) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, ip, resolve);
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

async function ipOf(a: HostAddress, role: HostRole): Promise<string> {
  const name = a.host!;
  if (net.isIP(name)) return name;
  try {
    return (await dns.lookup(name)).address;
  } catch (error) {
    throw new UserError(`The ${role} host ${a.raw}: its name ${name} does not resolve (${(error as Error).message}).`, 'Give its IP address, or fix the name.');
  }
}

/** The run's hosts: every role given an address gets that engine, the others this machine's. */
export async function planHosts(specs: HostSpecs, o: ConnectOptions & { local: () => Promise<Engine> }, flagOf: (role: HostRole) => string = (r) => `--${r}-host`): Promise<HostPlan> {
  const byName = new Map<string, RunHost>();
  const remoteIps: string[] = [];
  const roleHost: Partial<Record<HostRole, RunHost>> = {};
  for (const role of HOST_ROLES) {
    const spec = specs[role];
    const address = spec ? parseHostAddress(spec, flagOf(role)) : null;
    // A unix socket is this machine's engine (the harness reaches its containers on loopback).
    const name = address && address.kind !== 'unix' ? address.raw : 'this machine';
    let host = byName.get(name);
    if (!host) {
      const remote = name !== 'this machine';
      const engine = address ? await connectHost(address, role, o) : await o.local();
      const ip = remote ? await ipOf(address!, role) : '127.0.0.1';
      if (remote) remoteIps.push(ip);
      host = { name, address, engine, ip, remote, roles: [], insecure: address?.kind === 'tcp' && !tlsDir(o) };
      byName.set(name, host);
    }
    host.roles.push(role);
    roleHost[role] = host;
  }
  const hosts = [...byName.values()];
  const spread = remoteIps.length > 0;
  // This machine, seen from the others: the address its route toward them leaves from.
  const here = hosts.find((h) => !h.remote);
  if (here && spread) here.ip = await localAddressToward(remoteIps[0]!);
  return { target: roleHost.target!, service: roleHost.service!, loader: roleHost.loader!, hosts, spread };
}

/** How a host reads in messages and reports: "the target host ssh://root@10.0.0.1" or "this machine". */
export const describeHost = (h: RunHost): string => (h.remote ? `${h.roles.join('/')} host ${h.name}` : 'this machine');
