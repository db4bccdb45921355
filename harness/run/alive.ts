// Fails fast when a target died during a measurement, with its last log lines.
import { UserError } from '../errors.ts';
import type { RunningTarget } from '../types.ts';
import { describeExit } from '../runtime/readiness.ts';

export async function assertAlive(running: RunningTarget): Promise<void> {
  const state = await Promise.race([running.exited, Promise.resolve(null)]);
  if (state) {
    throw new UserError(
      `Target "${running.target.decl.name}" ${state.lost ? 'was lost' : 'exited'} during the load (${describeExit(state)}).`,
      'Read its last log lines below.',
      await running.logs(30),
    );
  }
}
