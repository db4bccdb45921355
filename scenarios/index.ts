// The scenario registry: every scenario the harness can run, by name, in run order.
// BENCH_EXTRA_SCENARIOS names a module whose `scenarios` are added (the tests' fixture scenarios,
// as BENCH_TARGETS_DIR points the harness at fixture targets).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Scenario } from '../harness/types.ts';
import { dbScenario } from './db.ts';
import { deployScenario } from './deploy.ts';
import { fortunesScenario } from './fortunes.ts';
import { imageSizeScenario } from './image-size.ts';
import { jsonScenario } from './json.ts';
import { memoryScenario } from './memory.ts';
import { queriesScenario } from './queries.ts';
import { startupScenario } from './startup.ts';
import { updatesScenario } from './updates.ts';
import { wsBroadcastScenario } from './ws-broadcast.ts';
import { wsCapacityScenario } from './ws-capacity.ts';
import { wsEchoScenario } from './ws-echo.ts';

const extra = process.env.BENCH_EXTRA_SCENARIOS
  ? ((await import(pathToFileURL(path.resolve(process.env.BENCH_EXTRA_SCENARIOS)).href)) as { scenarios: Scenario[] }).scenarios
  : [];

export const scenarios: Scenario[] = [...([jsonScenario, dbScenario, queriesScenario, fortunesScenario, updatesScenario, wsCapacityScenario, wsEchoScenario, wsBroadcastScenario, startupScenario, memoryScenario, imageSizeScenario, deployScenario] as Scenario[]), ...extra];
