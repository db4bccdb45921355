// What a runtime module exports for the registry (registry.ts): its name, what it can do, and how
// to make it. A new runtime is a file that exports one of these plus one line in the registry.
import type { Engine } from '../docker/engine.ts';
import type { ConnectOptions } from '../hosts/address.ts';
import type { HostSpecs } from '../hosts/plan.ts';
import type { RemoteHosts } from '../hosts/remote.ts';
import type { PythonOffer, Runtime, RuntimeCapabilities, RuntimeName } from '../types.ts';
import type { Requirement } from './requirements.ts';

/** Options a run hands to whichever runtime it makes; a runtime ignores those it has no use for. */
export interface RuntimeOptions {
  /** Directory where each target's and service's full log is written (<dir>/<name>.log). */
  logDir?: string;
  /** Open-files limit (soft = hard) every target is started with, for tests and to lower it; absent: what the target would get anyway. */
  openFiles?: number;
  /** The commit images are labelled with (docker); absent: read from git. */
  gitCommit?: string | null;
  /** Memory limit of every container (docker; the same for all targets). */
  memoryBytes?: number;
  /** Build local bases even where official ones could be pulled (docker). */
  preferLocalBases?: boolean;
  /** The engines of other hosts for the targets, the services and the loader (runtimes that can.hosts). */
  hosts?: { specs: HostSpecs; connect: ConnectOptions; log?: (line: string) => void };
}

export interface CreatedRuntime {
  runtime: Runtime;
  /** The container engine behind it, recorded in results.json; null when there is none. */
  engine: Engine | null;
  /** The run's other hosts, when options.hosts named any. */
  hosts?: RemoteHosts;
}

export interface RuntimeModule {
  name: RuntimeName;
  /** What it runs targets as, in a few words for --help ("processes on this machine"). */
  description: string;
  /** The same capabilities as the runtime it creates (Runtime.can), readable without creating it (plans, --help). */
  can: RuntimeCapabilities;
  /** For `--runtime auto`, which takes the highest-ranked runtime available here; absent: auto never picks it. */
  auto?: { rank: number; available(): Promise<boolean> };
  /** What it needs on this machine, checked (for `bench doctor`); a `required` one missing means it cannot run here. */
  requirements(): Promise<Requirement[]>;
  /** The Pythons it can run Python targets on (Runtime.pythons), readable without creating it: a
   * version another runtime cannot run names the runtimes that can. */
  pythons(): Promise<PythonOffer[]>;
  /** Makes the runtime; throws a UserError saying what to install when it cannot run here. */
  create(options: RuntimeOptions): Promise<CreatedRuntime>;
}
