// Picks the runtime the user asked for. Only `local` exists so far; `auto` means local.
import { UserError } from '../errors.ts';
import { LocalRuntime } from '../runtime/local.ts';
import type { Runtime } from '../types.ts';

export function chooseRuntime(choice: string, options: { logDir?: string } = {}): Runtime {
  if (choice === 'local' || choice === 'auto') return new LocalRuntime(options);
  if (choice === 'docker') {
    throw new UserError(
      'The docker runtime is not available yet in this version of the harness.',
      'Use --runtime local (the default, no Docker needed) or --runtime auto.',
    );
  }
  throw new UserError(`--runtime: "${choice}" is not a runtime.`, 'Allowed values: local, docker, auto.');
}
