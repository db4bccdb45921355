// The scenario registry: every scenario the harness can run, by name, in run order.
import type { Scenario } from '../harness/types.ts';
import { imageSizeScenario } from './image-size.ts';
import { jsonScenario } from './json.ts';
import { memoryScenario } from './memory.ts';
import { startupScenario } from './startup.ts';

export const scenarios: Scenario[] = [jsonScenario, startupScenario, memoryScenario, imageSizeScenario] as Scenario[];
