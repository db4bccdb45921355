// Ctrl-C: the first one stops the run cleanly (the current trial is abandoned, the target is stopped,
// results and reports are written); a second one exits at once, and the exit handler of the reaper
// still kills every target process group.
import type { Runtime } from '../types.ts';

export function installInterruptHandler(runtime?: Runtime): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${sig} again: exiting now.\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${sig}: stopping the current target and saving what was measured (press Ctrl-C again to exit at once)...\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
    void runtime?.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    },
  };
}
