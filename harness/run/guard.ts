// Runs one target's part of a scenario round; a target that breaks is marked failed (its results so
// far kept) and dropped from the rest of the scenario, while the other targets go on.
import { errorSummary } from '../errors.ts';
import type { ScenarioContext } from '../types.ts';

export async function guarded<R>(ctx: ScenarioContext<R>, target: string, work: () => Promise<void>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    ctx.progress.warn(`${target}: ${errorSummary(error)}`);
    await ctx.fail(target, error);
    return false;
  }
}
