// Fails fast when a target died during a measurement, with its last log lines.
import { UserError } from '../errors.ts';
import type { RunningTarget } from '../types.ts';

export async function assertAlive(running: RunningTarget): Promise<void> {
  const state = await Promise.race([running.exited, Promise.resolve(null)]);
  if (state) {
    throw new UserError(
      `Target "${running.target.decl.name}" exited during the load (${state.signal ? `signal ${state.signal}` : `exit code ${state.code}`}).`,
      'Read its last log lines below.',
      await running.logs(30),
    );
  }
}
