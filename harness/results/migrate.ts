// Results written by older harnesses, brought up to the current schema on load, so that `compare`
// and `chart` keep working on older runs (including committed reference runs). Each scenario's
// result kind turns its own old fields into its result (fromV1): this module names no scenario.
import { RESULTS_SCHEMA_VERSION } from '../schema.ts';
import { kindOf } from './scenario-kinds.ts';

type Raw = Record<string, unknown>;

/** Schema 1: scenario figures were top-level fields of a measurement (trials, summary, load, startup, memory, image). */
function migrateV1(raw: Raw): Raw {
  const measurements = ((raw.measurements as Raw[] | undefined) ?? []).map((old) => {
    const { trials: _t, summary: _s, load: _l, startup: _st, memory: _m, image: _i, ...common } = old;
    const result = old.status === 'ok' ? kindOf({ scenario: String(old.scenario) })?.fromV1?.(old) : undefined;
    return { ...common, ...(result !== undefined && { result }) };
  });
  return { ...raw, schemaVersion: 2, migratedFrom: 1, services: [], measurements };
}

/** Returns the raw object migrated to the current schema version (validation comes after). */
export function migrate(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  let r = raw as Raw;
  if (r.schemaVersion === 1) r = migrateV1(r);
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION) return r;
  return r;
}
