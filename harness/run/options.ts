// Options that scenarios own (ScenarioOptions in harness/types.ts): the core collects one
// declaration per key from the scenarios, starts from the profile's defaults, lays the field of
// bench.config.ts and the flags of `run` over them, validates the result with the declaration's
// schema and check(), and hands each scenario its own. It names no option, so that a scenario with
// an option of its own touches only its module.
import type { z } from 'zod';
import { describeZodIssues } from '../config.ts';
import { UserError } from '../errors.ts';
import type { ProfileName, Scenario, ScenarioOptions } from '../types.ts';

/** The run's options by their declarations' keys; a key whose value is undefined is left out. */
export type RunOptions = Record<string, unknown>;

/** The scenarios' declarations, one per key (scenarios sharing options share one declaration). */
export function optionDeclarations(scenarios: readonly Scenario[]): ScenarioOptions[] {
  const byKey = new Map<string, ScenarioOptions>();
  for (const s of scenarios) {
    const d = s.options as ScenarioOptions | undefined;
    if (!d) continue;
    const seen = byKey.get(d.key);
    // Two declarations of one key would give the run two answers for one field of bench.config.ts.
    if (seen && seen !== d) throw new Error(`Scenario ${s.name} declares its own options under the key "${d.key}", which another scenario declares too: share one declaration.`);
    byKey.set(d.key, d);
  }
  const decls = [...byKey.values()];
  const flags = decls.flatMap((d) => (d.flags ?? []).map((f) => f.name));
  const twice = flags.find((f, i) => flags.indexOf(f) !== i);
  if (twice) throw new Error(`The flag --${twice} is declared by two scenario options.`);
  return decls;
}

/** The flags the options add to `run`, for parseArgs; one the command has already is a programming error. */
export function optionFlags(decls: readonly ScenarioOptions[], reserved: readonly string[]): Record<string, { type: 'string' }> {
  const out: Record<string, { type: 'string' }> = {};
  for (const f of decls.flatMap((d) => d.flags ?? [])) {
    if (reserved.includes(f.name)) throw new Error(`A scenario option declares --${f.name}, a flag of the run itself.`);
    out[f.name] = { type: 'string' };
  }
  return out;
}

/** Lines of `run --help` for the options' flags, aligned and wrapped as the command's own. */
export function optionsHelp(decls: readonly ScenarioOptions[], width = 100): string[] {
  const indent = ' '.repeat(24);
  return decls.flatMap((d) =>
    (d.flags ?? []).flatMap((f) => {
      const head = `  --${f.name} ${f.value ?? 'VALUE'}`;
      const lines: string[] = [];
      let line = head.length < indent.length ? head.padEnd(indent.length) : `${head} `;
      for (const word of f.help.split(/\s+/)) {
        if (line.length + word.length > width && line.trim() !== head.trim()) {
          lines.push(line.trimEnd());
          line = indent;
        }
        line += `${word} `;
      }
      return [...lines, line.trimEnd()];
    }),
  );
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsed<O>(d: ScenarioOptions<O>, value: unknown, source: string, fix: string): O {
  const r = (d.schema as z.ZodType<O>).safeParse(value);
  if (!r.success) throw new UserError(`Invalid option: ${describeZodIssues(r.error, source, [d.key])}.`, fix);
  return r.data;
}

/** The profile's defaults of every declaration, by key. */
export function defaultOptions(decls: readonly ScenarioOptions[], profile: ProfileName): RunOptions {
  return keep(decls.map((d) => [d.key, structuredClone(d.defaults[profile])]));
}

const keep = (entries: [string, unknown][]): RunOptions => Object.fromEntries(entries.filter(([, v]) => v !== undefined));

export interface OptionInputs {
  /** bench.config.ts's fields under the options' keys; an object is laid over the defaults field by field. */
  config?: Record<string, unknown>;
  /** Where the config came from, for messages. */
  configFile?: string;
  /** The options' flags as given on the command line, by name (absent: not given). */
  flags?: Record<string, string | undefined>;
}

/**
 * The run's options: each declaration's defaults for the profile, then its bench.config.ts field,
 * then its flags, validated after each step (an error names the field or the flag and what it
 * accepts), then checked as a whole.
 */
export function resolveOptions(decls: readonly ScenarioOptions[], profile: ProfileName, inputs: OptionInputs = {}): RunOptions {
  const file = inputs.configFile ?? 'bench.config.ts';
  return keep(
    decls.map((d) => {
      let value: unknown = structuredClone(d.defaults[profile]);
      const fromConfig = inputs.config?.[d.key];
      if (fromConfig !== undefined) {
        value = parsed(d, isPlainObject(value) && isPlainObject(fromConfig) ? { ...value, ...fromConfig } : fromConfig, file, `Fix the field \`${d.key}\` in ${file}, or remove it to use the profile's.`);
      }
      for (const f of d.flags ?? []) {
        const given = inputs.flags?.[f.name];
        if (given === undefined) continue;
        value = parsed(d, f.apply(value, given), `--${f.name} "${given}":`, `See \`npm run bench -- run --help\` for --${f.name}.`);
      }
      const options = parsed(d, value, `the options`, `See \`npm run bench -- run --help\`.`);
      d.check?.(options);
      return [d.key, options];
    }),
  );
}

/** A scenario's own options from the run's (its declaration's defaults for the profile where the run has none). */
export function optionsOf(scenario: Scenario, options: RunOptions, profile: ProfileName): unknown {
  const d = scenario.options;
  if (!d) return undefined;
  return d.key in options ? options[d.key] : structuredClone(d.defaults[profile]);
}

/** The options' phrases for a profile's one-line description. */
export function optionPhrases(decls: readonly ScenarioOptions[], profile: ProfileName): string[] {
  return decls.flatMap((d) => (d.describe ? [d.describe(d.defaults[profile])] : []));
}
