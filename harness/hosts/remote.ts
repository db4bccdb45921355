// What a run needs of its other hosts, made once and kept until the run ends: the kit image (Bun and
// the harness's workers) built on this machine's engine, images shipped to each host that lacks
// them, one reader container per other host (its processes, cgroups, free ports, clock and facts),
// and the loader's workers as containers on the loader host. Everything started here is removed by
// stop(), and by the reaper (registered per engine) if the harness dies.
import fs from 'node:fs';
import os from 'node:os';
import type { Engine } from '../docker/engine.ts';
import type { ProgramRuntime } from '../load/kit/pool.ts';
import type { WorkerSpawner } from '../load/kit/spawner.ts';
import { containerSpawner } from '../load/kit/container-spawner.ts';
import { registerEngine } from '../runtime/reaper.ts';
import type { HostRecord } from '../schema.ts';
import type { ConnectOptions } from './address.ts';
import { ensureKitImage, kitRuntime } from './kit-image.ts';
import { localAddressToward, type HostPlan, type RunHost } from './plan.ts';
import { HostReader } from './reader.ts';
import { shipImage } from './ship.ts';

export interface HostFacts {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  /** The kernel's boot id: two hosts with the same one are one machine (namespaces, containers). */
  bootId: string | null;
}

/** This machine's facts, read here. */
export function localFacts(): HostFacts {
  const cpus = os.cpus();
  let bootId: string | null = null;
  try {
    bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // not Linux
  }
  return { cpuModel: cpus[0]?.model ?? 'unknown', cores: os.availableParallelism?.() ?? cpus.length, memoryBytes: os.totalmem(), kernel: os.release(), bootId };
}

export class RemoteHosts {
  private kitImage: Promise<{ tag: string; runtime: ProgramRuntime }> | undefined;
  private readonly shipped = new Map<string, Promise<void>>();
  private readonly readers = new Map<RunHost, Promise<HostReader>>();
  private readonly facts = new Map<RunHost, Promise<HostFacts>>();

  constructor(
    readonly plan: HostPlan,
    /** Where images are built: this machine's engine. */
    private readonly build: Engine,
    connect: ConnectOptions,
    private readonly log: (line: string) => void = () => {},
  ) {
    for (const h of plan.hosts.filter((h) => h.remote)) {
      registerEngine(h.name, { ...(connect.sshKey && { sshKey: connect.sshKey }), ...(connect.knownHosts && { knownHosts: connect.knownHosts }), ...(h.insecure && { insecure: true }), ...(connect.certDir && { certDir: connect.certDir }) });
    }
  }

  private kit(): Promise<{ tag: string; runtime: ProgramRuntime }> {
    this.kitImage ??= ensureKitImage(this.build, this.log).then((k) => ({ tag: k.tag, runtime: kitRuntime(k.bunVersion) }));
    return this.kitImage;
  }

  /** Puts the image `tag` on `host`'s engine unless it is the build engine or has it already. */
  ship(host: RunHost, tag: string, log: (line: string) => void = this.log): Promise<void> {
    if (host.engine === this.build) return Promise.resolve();
    const key = `${host.name} ${tag}`;
    const known = this.shipped.get(key);
    if (known) return known;
    const done = shipImage(this.build, host.engine, tag, log);
    // A failed ship may be tried again by the next target.
    done.catch(() => this.shipped.delete(key));
    this.shipped.set(key, done);
    return done;
  }

  /** The reader container on another host, started once. */
  reader(host: RunHost): Promise<HostReader> {
    let r = this.readers.get(host);
    if (!r) {
      r = (async () => {
        const kit = await this.kit();
        await this.ship(host, kit.tag);
        return HostReader.start({ engine: host.engine, image: kit.tag, runtime: kit.runtime, hostName: host.name });
      })();
      r.catch(() => this.readers.delete(host));
      this.readers.set(host, r);
    }
    return r;
  }

  /** A host's CPU, memory and kernel: this machine's read here, another's by its reader. */
  hostFacts(host: RunHost): Promise<HostFacts> {
    let f = this.facts.get(host);
    if (!f) {
      f = host.remote ? this.reader(host).then((r) => r.host()) : Promise.resolve(localFacts());
      this.facts.set(host, f);
    }
    return f;
  }

  /** Spawns the loader's workers as containers on the loader host; null when the loader runs here. */
  async loaderPlacement(): Promise<{ spawner: WorkerSpawner; runtime: ProgramRuntime; hostName: string } | null> {
    const host = this.plan.loader;
    if (!host.remote) return null;
    const kit = await this.kit();
    await this.ship(host, kit.tag);
    return { spawner: containerSpawner({ engine: host.engine, image: kit.tag, runtime: kit.runtime, hostName: host.name }), runtime: kit.runtime, hostName: host.name };
  }

  /** The IPs a service on `service` must let in: the targets' host and the harness, as that host sees them. */
  async clientsOf(service: RunHost): Promise<string[]> {
    const fromHere = service.remote ? await localAddressToward(service.ip) : service.ip;
    const target = this.plan.target;
    const fromTarget = target === service ? service.ip : target.remote ? target.ip : fromHere;
    return [...new Set([fromTarget, fromHere])];
  }

  /** Each host as results.json records it; clocks are measured here (before any trial). */
  async records(): Promise<HostRecord[]> {
    const out: HostRecord[] = [];
    for (const h of this.plan.hosts) {
      const facts = await this.hostFacts(h);
      const clock = h.remote ? await (await this.reader(h)).clock() : null;
      out.push({
        name: h.name,
        roles: h.roles,
        remote: h.remote,
        ip: h.ip,
        insecure: h.insecure,
        engine: { name: h.engine.name, version: h.engine.version, apiVersion: h.engine.apiVersion },
        ...facts,
        clock: clock ? { offsetMs: clock.offsetMs, rttMs: clock.rttMs, method: "the reader container's wall clock minus this machine's at the midpoint of the shortest of 15 round trips" } : null,
      });
    }
    return out;
  }

  /** Stops every reader; idempotent. */
  async stop(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    await Promise.all(readers.map((r) => r.then((x) => x.stop(), () => {})));
  }
}
