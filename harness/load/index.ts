// The HTTP load generators, by name: the harness's own (`harness`: http/, one worker per loader CPU,
// run by Bun from npm where it runs, else by Node), autocannon, and wrk where it is installed. All
// give the same result shape, and say what they can do (`can`); scenarios ask that, not the name.
// The WebSocket loaders likewise (--ws-loader): the harness's own (ws/). A new loader is a module
// with its create function plus one line in LOADERS or WS_LOADERS.
import { UserError } from '../errors.ts';
import type { HttpLoader, HttpLoadResult } from '../types.ts';
import { createAutocannonLoader } from './autocannon.ts';
import { createHttpLoader } from './http/index.ts';
import { resolveLoaderRuntime } from './loader-runtime.ts';
import { createWrkLoader } from './wrk.ts';
import { createWsLoader } from './ws/index.ts';
import type { ProgramRuntime } from './kit/pool.ts';
import type { WorkerSpawner } from './kit/spawner.ts';
import type { WsLoader } from './ws/types.ts';

/** Where the loader's workers run when not on this machine: containers on another host (harness/hosts/remote.ts). */
export interface LoaderPlacement {
  spawner: WorkerSpawner;
  runtime: ProgramRuntime;
  hostName: string;
}

interface LoaderModule<L> {
  name: string;
  create(cpus: number[], placement?: LoaderPlacement): Promise<L>;
}

/** Loaders that run no worker of the kit cannot run on another host. */
const hereOnly = (name: string, placement: LoaderPlacement | undefined) => {
  if (placement) throw new UserError(`--loader ${name} runs on this machine only; --loader-host ${placement.hostName} runs the harness's own loader.`, 'Use --loader harness (the default), or leave out --loader-host.');
};

/** In the order --help lists them; the first is the default. */
const LOADERS: readonly LoaderModule<HttpLoader>[] = [
  { name: 'harness', create: async (cpus, placement) => createHttpLoader({ cpus, runtime: placement?.runtime ?? (await resolveLoaderRuntime()), ...(placement && { spawner: placement.spawner }) }) },
  {
    name: 'autocannon',
    create: async (cpus, placement) => {
      hereOnly('autocannon', placement);
      return createAutocannonLoader(cpus);
    },
  },
  {
    name: 'wrk',
    create: async (cpus, placement) => {
      hereOnly('wrk', placement);
      const wrk = createWrkLoader(cpus);
      if (!wrk) throw new UserError('--loader wrk: wrk is not installed.', 'sudo apt-get install -y wrk (or use --loader harness).');
      return wrk;
    },
  },
];

const WS_LOADERS: readonly LoaderModule<WsLoader>[] = [
  { name: 'harness', create: async (cpus, placement) => createWsLoader({ cpus, runtime: placement?.runtime ?? (await resolveLoaderRuntime()), ...(placement && { spawner: placement.spawner }) }) },
];

export const LOADER_NAMES: readonly string[] = LOADERS.map((l) => l.name);
export const DEFAULT_LOADER = LOADERS[0]!.name;
export const WS_LOADER_NAMES: readonly string[] = WS_LOADERS.map((l) => l.name);
export const DEFAULT_WS_LOADER = WS_LOADERS[0]!.name;

function parseName(names: readonly string[], what: string, text: string, flag: string): string {
  if (!names.includes(text)) throw new UserError(`${flag}: "${text}" is not ${what}.`, `Allowed values: ${names.join(', ')}.`);
  return text;
}

/** Validates an HTTP loader's name; the UserError names the flag or field and the allowed values. */
export const parseLoaderName = (text: string, flag: string): string => parseName(LOADER_NAMES, 'a loader', text, flag);
/** Validates a WebSocket loader's name, likewise. */
export const parseWsLoaderName = (text: string, flag: string): string => parseName(WS_LOADER_NAMES, 'a WebSocket loader', text, flag);

export async function createLoader(name: string, cpus: number[], placement?: LoaderPlacement): Promise<HttpLoader> {
  return LOADERS.find((l) => l.name === parseLoaderName(name, '--loader'))!.create(cpus, placement);
}

export async function createWsLoaderNamed(name: string, cpus: number[], placement?: LoaderPlacement): Promise<WsLoader> {
  return WS_LOADERS.find((l) => l.name === parseWsLoaderName(name, '--ws-loader'))!.create(cpus, placement);
}

/** A result's errors by kind (ECONNREFUSED, ECONNRESET, 'connect timeout', ...), as far as its loader tells them apart; {} when it does not. */
export function errorKindsOf(result: HttpLoadResult): Record<string, number> {
  return result.errorKinds ?? {};
}
