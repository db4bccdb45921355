// The load generators' names, for flags and the configuration (no loader code imported here).
import { UserError } from '../errors.ts';

export const LOADER_NAMES = ['harness', 'autocannon', 'wrk'] as const;
export type LoaderName = (typeof LOADER_NAMES)[number];

export function parseLoaderName(text: string, flag: string): LoaderName {
  if (!(LOADER_NAMES as readonly string[]).includes(text)) throw new UserError(`${flag}: "${text}" is not a loader.`, `Allowed values: ${LOADER_NAMES.join(', ')}.`);
  return text as LoaderName;
}
