// Progress on stderr: where the run is (target, scenario, step), time elapsed, and an estimate of
// what remains, scaled by how the real pace compares with the plan.
import type { ProgressReporter } from '../types.ts';
import { fmtDuration } from '../report/format.ts';

export class ConsoleProgress implements ProgressReporter {
  private readonly startedMs = performance.now();
  private donePlannedS = 0;
  /** Time spent in steps outside the plan (preparing targets), kept out of the pace. */
  private unplannedS = 0;
  private current: { plannedS: number; startS: number } | null = null;
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
    const pace = this.donePlannedS > 0 ? Math.max(0, this.elapsedS() - this.unplannedS) / this.donePlannedS : 1;
    return left * pace;
  }

  step(label: string, plannedSeconds = 0): void {
    const now = this.elapsedS();
    if (this.current) {
      if (this.current.plannedS > 0) this.donePlannedS += this.current.plannedS;
      else this.unplannedS += now - this.current.startS;
    }
    this.current = { plannedS: plannedSeconds, startS: now };
    this.write(`[${fmtDuration(this.elapsedS())} elapsed, ~${fmtDuration(this.remainingS())} left] ${this.context}${label}`);
  }

  info(line: string): void {
    this.write(`    ${line}`);
  }

  warn(line: string): void {
    this.write(`  ! ${line}`);
  }
}
