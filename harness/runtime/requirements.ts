// What `bench doctor` checks, one line per requirement: each runtime module lists its own
// (RuntimeModule.requirements), so that doctor names no runtime and a new runtime brings its checks.
import { execa } from 'execa';
import { errorMessage } from '../errors.ts';

export interface Requirement {
  ok: boolean;
  what: string;
  detail: string;
  /** The command or step that fixes it. */
  fix?: string;
  /** Without it the runtime (or the harness) cannot run at all. */
  required: boolean;
}

/** Runs `probe`: its text is the detail when it succeeds; its error's message (before " Fix:") when it throws. */
export async function requirement(what: string, required: boolean, probe: () => Promise<string>, fix: string): Promise<Requirement> {
  try {
    return { ok: true, what, detail: await probe(), required };
  } catch (error) {
    return { ok: false, what, detail: errorMessage(error).split(' Fix:')[0]!, fix, required };
  }
}

/** The first line a tool prints for `args` (its version); throws only when the binary is missing. */
export async function toolVersion(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false, all: true });
  // Some tools (wrk) exit non-zero after printing their version; only a missing binary counts.
  if (r.failed && r.code === 'ENOENT') throw new Error(`${cmd} not found`);
  return String(r.all).split('\n')[0]!.trim();
}
