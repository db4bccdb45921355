// The runtimes a run can use, by name. The CLI, the configuration and the plan ask here (names for
// --runtime, capabilities before a runtime exists); nothing else names a runtime. A new runtime is
// a module exporting a RuntimeModule (module.ts) plus one line in RUNTIMES.
import { UserError } from '../errors.ts';
import type { RuntimeName } from '../types.ts';
import { dockerRuntime } from './docker.ts';
import { localRuntime } from './local.ts';
import type { CreatedRuntime, RuntimeModule, RuntimeOptions } from './module.ts';

export type { CreatedRuntime, RuntimeModule, RuntimeOptions } from './module.ts';

/** In the order --help lists them; the first is the default. */
const RUNTIMES: readonly RuntimeModule[] = [localRuntime, dockerRuntime];

export const RUNTIME_NAMES: readonly RuntimeName[] = RUNTIMES.map((r) => r.name);
export const DEFAULT_RUNTIME: RuntimeName = RUNTIMES[0]!.name;
/** Not a runtime: the highest-ranked one that can run here (see RuntimeModule.auto). */
export const AUTO = 'auto';
/** What --runtime and the configuration's `runtime` accept. */
export const RUNTIME_CHOICES: readonly RuntimeName[] = [...RUNTIME_NAMES, AUTO];

const allowed = () => `Allowed values: ${RUNTIME_CHOICES.join(', ')}.`;

/** The runtimes auto may pick, the one it prefers first. */
const autoOrder = () => RUNTIMES.filter((r) => r.auto).sort((a, b) => b.auto!.rank - a.auto!.rank);

/** Every registered runtime, in --help's order. */
export const runtimeModules = (): readonly RuntimeModule[] => RUNTIMES;

/** The runtime auto would pick here, or null when none can run. */
export async function autoChoice(): Promise<RuntimeModule | null> {
  for (const r of autoOrder()) if (await r.auto!.available()) return r;
  return null;
}

/** The module of a registered runtime; throws a UserError listing the registered ones. */
export function runtimeModule(name: RuntimeName): RuntimeModule {
  const found = RUNTIMES.find((r) => r.name === name);
  if (!found) throw new UserError(`"${name}" is not a runtime.`, allowed());
  return found;
}

/** Validates a --runtime value (a runtime's name, or auto); the UserError names the flag and the allowed values. */
export function parseRuntimeChoice(text: string, flag = '--runtime'): RuntimeName {
  if (!RUNTIME_CHOICES.includes(text)) throw new UserError(`${flag}: "${text}" is not a runtime.`, allowed());
  return text;
}

/** One line for --help: every choice and what it runs targets as. */
export function runtimeChoicesHelp(): string {
  const choices = RUNTIMES.map((r) => `${r.name} (${r.name === DEFAULT_RUNTIME ? 'default: ' : ''}${r.description})`);
  return [...choices, `${AUTO} (the first of ${autoOrder().map((r) => r.name).join(', ')} that can run here)`].join(', ');
}

/** The runtime `choice` names (a registered name, or auto), made with `options`. */
export async function createRuntime(choice: RuntimeName, options: RuntimeOptions = {}): Promise<CreatedRuntime> {
  if (choice !== AUTO) return runtimeModule(parseRuntimeChoice(choice)).create(options);
  const picked = await autoChoice();
  if (picked) return picked.create(options);
  throw new UserError('--runtime auto: no runtime can run on this machine.', `Run \`npm run bench -- doctor\` to see what each needs. ${allowed()}`);
}

/** Whether the runtime `choice` names (auto: the one it would pick) can do `what`. */
export async function runtimeCan(choice: RuntimeName, what: keyof RuntimeModule['can']): Promise<boolean> {
  const module = choice === AUTO ? await autoChoice() : runtimeModule(choice);
  return Boolean(module?.can[what]);
}
