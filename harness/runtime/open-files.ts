// Open-files limits of a target's processes, read from their /proc/<pid>/limits: the parsing (pure,
// shared by the local runtime, which reads /proc itself, and the docker runtime, which reads it
// inside the container), and the commands that read them inside a container.

export interface SoftHard {
  soft: number;
  hard: number;
}

/** "unlimited" as index.ts's readLimits counts it (the kernel never allows it for files anyway). */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** One line of a /proc/<pid>/limits text, e.g. "Max processes"; null when absent or malformed. */
export function parseLimit(limitsText: string, name: string): SoftHard | null {
  const line = limitsText.split('\n').find((l) => l.startsWith(`${name} `));
  const m = line && /^\s+(\d+|unlimited)\s+(\d+|unlimited)(\s|$)/.exec(line.slice(name.length));
  if (!m) return null;
  const num = (s: string) => (s === 'unlimited' ? UNLIMITED : Number(s));
  return { soft: num(m[1]!), hard: num(m[2]!) };
}

/** The "Max open files" line of one /proc/<pid>/limits text. */
export function parseNofile(limitsText: string): SoftHard | null {
  return parseLimit(limitsText, 'Max open files');
}

/** The smallest soft limit over several processes' limits texts (unreadable ones skipped); null when none parses. */
export function smallestSoftNofile(limitsTexts: string[]): { limit: number; processes: number } | null {
  const softs = limitsTexts.map(parseNofile).filter((l) => l !== null).map((l) => l.soft);
  return softs.length ? { limit: Math.min(...softs), processes: softs.length } : null;
}

const HEADER = /^==> \/proc\/(\d+)\/limits$/;

/** Splits the output of CONTAINER_LIMITS_SH into each process's limits text, by pid. */
export function splitLimitsBlocks(output: string): Map<number, string> {
  const blocks = new Map<number, string>();
  let pid: number | null = null;
  for (const line of output.split('\n')) {
    const m = HEADER.exec(line);
    if (m) {
      pid = Number(m[1]);
      blocks.set(pid, '');
    } else if (pid !== null) blocks.set(pid, `${blocks.get(pid)}${line}\n`);
  }
  return blocks;
}

/**
 * Prints every process's limits under a "==> /proc/<pid>/limits" header, the shell's own left out:
 * an exec'd process gets the container's configured limits, not those its processes set themselves
 * (Node raises its soft limit to the hard one), so it would bias the smallest. Only shell builtins
 * (the glob is expanded before anything runs; read instead of cat), so that no other process of
 * the exec shows up either, and images without coreutils work.
 */
export const CONTAINER_LIMITS_SH =
  'for f in /proc/[0-9]*/limits; do [ "$f" = "/proc/$$/limits" ] && continue; echo "==> $f"; { while IFS= read -r l; do echo "$l"; done < "$f"; } 2>/dev/null; done';

/** One way to read them inside a container: the command, how its output splits into limits texts, and the source in words. */
export interface ContainerRead {
  cmd: string[];
  texts(stdout: string): string[];
  source(processes: number): string;
}

/** In order: the shell loop; for an image without sh, cat of the main process only (cat cannot list the others). */
export const CONTAINER_READS: ContainerRead[] = [
  {
    cmd: ['sh', '-c', CONTAINER_LIMITS_SH],
    texts: (stdout) => [...splitLimitsBlocks(stdout).values()],
    source: (n) => `read inside the container from /proc/*/limits of its ${n} process${n === 1 ? '' : 'es'}`,
  },
  {
    cmd: ['cat', '/proc/1/limits'],
    texts: (stdout) => [stdout],
    source: () => 'read inside the container from /proc/1/limits, its main process only (the image has no sh to list the others)',
  },
];
