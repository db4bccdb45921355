// The scenario registry: every scenario the harness can run, by name.
import type { Scenario } from '../harness/types.ts';
import { jsonScenario } from './json.ts';

export const scenarios: Scenario[] = [jsonScenario];
