// Finds what the host must provide to prepare targets locally, with errors that say what to install.
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import { comparePython, newestInRange } from '../versions/python-range.ts';

const PYTHON_CANDIDATES = ['python3.14', 'python3.13', 'python3.12', 'python3', 'python3.11', 'python3.10'];
const MIN_PYTHON: [number, number] = [3, 10];

export interface HostPython {
  path: string;
  version: string;
  /** The name it was found by (python3.12), for messages. */
  name: string;
}

let pythonsCache: Promise<{ found: HostPython[]; seen: string[] }> | null = null;

/** Every host Python >= 3.10 whose venv module can bootstrap pip, newest first, each executable once. */
export function findPythons(): Promise<{ found: HostPython[]; seen: string[] }> {
  pythonsCache ??= (async () => {
    const seen: string[] = [];
    const found: HostPython[] = [];
    for (const name of process.env.BENCH_PYTHON ? [process.env.BENCH_PYTHON] : PYTHON_CANDIDATES) {
      const probe = await execa(name, ['-c', 'import sys, venv, ensurepip; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])'], {
        reject: false,
      });
      if (probe.exitCode !== 0) {
        if (!probe.failed || probe.code !== 'ENOENT') seen.push(`${name}: ${String(probe.stderr).split('\n').at(-1) || 'not usable'}`);
        continue;
      }
      const [path, version] = String(probe.stdout).trim().split('\n');
      if (comparePython(version ?? '0.0', MIN_PYTHON.join('.')) < 0) {
        seen.push(`${name}: ${version} is older than ${MIN_PYTHON.join('.')}`);
        continue;
      }
      if (!found.some((p) => p.path === path)) found.push({ path: path!, version: version!, name });
    }
    found.sort((a, b) => comparePython(b.version, a.version));
    return { found, seen };
  })();
  return pythonsCache;
}

/** The newest host Python >= 3.10 with venv, within `range` when one is given (a target version's). */
export async function findPython(range?: string): Promise<HostPython> {
  const { found, seen } = await findPythons();
  const fit = newestInRange(found, range);
  if (fit) return fit;
  if (found.length && range) {
    throw new UserError(
      `No host Python in the range ${range} (this host has ${found.map((p) => `${p.version} as ${p.name}`).join(', ')}).`,
      'Install one (e.g. sudo apt-get install -y python3.12-venv where the distribution has it), set BENCH_PYTHON to one, or use a runtime that has it.',
    );
  }
  throw new UserError(
    `No usable Python >= ${MIN_PYTHON.join('.')} with the venv module was found${seen.length ? ` (${seen.join('; ')})` : ''}.`,
    'Install one, e.g. on Debian/Ubuntu: sudo apt-get install -y python3 python3-venv (or set BENCH_PYTHON to a python executable).',
  );
}

let npmCache: Promise<string> | null = null;

export function findNpm(): Promise<string> {
  npmCache ??= (async () => {
    const probe = await execa('npm', ['--version'], { reject: false });
    if (probe.exitCode !== 0) {
      throw new UserError('npm was not found on PATH.', 'Install Node.js (>= 20) with npm, e.g. sudo apt-get install -y nodejs npm.');
    }
    return String(probe.stdout).trim();
  })();
  return npmCache;
}

let tasksetCache: Promise<void> | null = null;

export function requireTaskset(): Promise<void> {
  tasksetCache ??= (async () => {
    const probe = await execa('taskset', ['--version'], { reject: false });
    if (probe.exitCode !== 0) {
      throw new UserError('taskset was not found; it pins targets and the loader to separate CPUs.', 'Install util-linux: sudo apt-get install -y util-linux.');
    }
  })();
  return tasksetCache;
}
