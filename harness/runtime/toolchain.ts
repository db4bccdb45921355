// Finds what the host must provide to prepare targets locally, with errors that say what to install.
import { execa } from 'execa';
import { UserError } from '../errors.ts';

const PYTHON_CANDIDATES = ['python3.14', 'python3.13', 'python3.12', 'python3', 'python3.11', 'python3.10'];
const MIN_PYTHON: [number, number] = [3, 10];

let pythonCache: Promise<{ path: string; version: string }> | null = null;

/** The newest host Python >= 3.10 whose venv module can bootstrap pip. */
export function findPython(): Promise<{ path: string; version: string }> {
  pythonCache ??= (async () => {
    const seen: string[] = [];
    for (const name of process.env.BENCH_PYTHON ? [process.env.BENCH_PYTHON] : PYTHON_CANDIDATES) {
      const probe = await execa(name, ['-c', 'import sys, venv, ensurepip; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])'], {
        reject: false,
      });
      if (probe.exitCode !== 0) {
        if (!probe.failed || probe.code !== 'ENOENT') seen.push(`${name}: ${String(probe.stderr).split('\n').at(-1) || 'not usable'}`);
        continue;
      }
      const [path, version] = String(probe.stdout).trim().split('\n');
      const [major, minor] = (version ?? '').split('.').map(Number);
      if ((major ?? 0) > MIN_PYTHON[0] || ((major ?? 0) === MIN_PYTHON[0] && (minor ?? 0) >= MIN_PYTHON[1])) return { path: path!, version: version! };
      seen.push(`${name}: ${version} is older than ${MIN_PYTHON.join('.')}`);
    }
    throw new UserError(
      `No usable Python >= ${MIN_PYTHON.join('.')} with the venv module was found${seen.length ? ` (${seen.join('; ')})` : ''}.`,
      'Install one, e.g. on Debian/Ubuntu: sudo apt-get install -y python3 python3-venv (or set BENCH_PYTHON to a python executable).',
    );
  })();
  return pythonCache;
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
