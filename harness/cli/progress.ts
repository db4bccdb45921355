// Progress on stderr: where the run is (target, scenario, step), time elapsed, and an estimate of
// what remains, scaled by how the real pace compares with the plan.
import type { ProgressReporter } from '../types.ts';
import { fmtDuration } from '../report/format.ts';

export class ConsoleProgress implements ProgressReporter {
  private readonly startedMs = performance.now();
  private donePlannedS = 0;
  private context = '';

  constructor(
    private plannedTotalS: number,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  setContext(context: string): void {
    this.context = context;
  }

  /** Work that was planned but will not happen (a target that failed to start) leaves the estimate. */
  skipPlanned(seconds: number): void {
    this.plannedTotalS = Math.max(this.donePlannedS, this.plannedTotalS - seconds);
  }

  elapsedS(): number {
    return (performance.now() - this.startedMs) / 1000;
  }

  remainingS(): number {
    const left = Math.max(0, this.plannedTotalS - this.donePlannedS);
    const pace = this.donePlannedS > 0 ? this.elapsedS() / this.donePlannedS : 1;
    return left * pace;
  }

  step(label: string, plannedSeconds = 0): void {
    this.write(`[${fmtDuration(this.elapsedS())} elapsed, ~${fmtDuration(this.remainingS())} left] ${this.context}${label}`);
    this.donePlannedS += plannedSeconds;
  }

  info(line: string): void {
    this.write(`    ${line}`);
  }

  warn(line: string): void {
    this.write(`  ! ${line}`);
  }
}
