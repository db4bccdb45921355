// Types that cross module borders. Data shapes come from the zod schemas in schema.ts; the
// behavioural seams (Runtime, RunningTarget, Service, Scenario and its result kind, Loader) are
// declared here.
// The declarations live in types/ by subject (runtime.ts, load.ts, scenario.ts); import them from here.
export type {
  CheckResult,
  Endpoint,
  Environment,
  Estimate,
  ImageInfo,
  IntervalData,
  LatencyMs,
  LoadShape,
  Measurement,
  MeasurementStatus,
  ResourceUse,
  RunLoad,
  RunPart,
  RunResults,
  RoundsRecord,
  RunState,
  ServiceInfo,
  TargetDeclaration,
  TargetInfo,
} from './schema.ts';
export type * from './types/runtime.ts';
export type * from './types/load.ts';
export type * from './types/scenario.ts';
