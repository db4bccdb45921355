// What a reader needs to trust and reproduce a figure: the machine, the OS, the pinning, the
// loader, and the exact commit of the harness.
import fs from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import type { Environment } from '../types.ts';

function osName(): string {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

async function git(args: string[], cwd: string): Promise<string | null> {
  const r = await execa('git', args, { cwd, reject: false });
  return r.exitCode === 0 ? String(r.stdout).trim() : null;
}

export function gitHead(projectRoot: string): Promise<string | null> {
  return git(['rev-parse', 'HEAD'], projectRoot);
}

/** MemAvailable from /proc/meminfo (what new work may take without swapping), else the free memory. */
export function availableMemory(): number {
  try {
    const kb = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

export async function collectEnvironment(options: {
  projectRoot: string;
  loader: Environment['loader'];
  pinning: Environment['pinning'];
  engine?: Environment['engine'];
  hosts?: Environment['hosts'];
}): Promise<Environment> {
  const commit = await gitHead(options.projectRoot);
  const status = commit ? await git(['status', '--porcelain', '--untracked-files=no'], options.projectRoot) : null;
  return {
    hostname: os.hostname(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    memoryAvailableBytes: availableMemory(),
    os: osName(),
    kernel: os.release(),
    arch: os.arch(),
    harnessNode: process.versions.node,
    loader: options.loader,
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    pinning: options.pinning,
    ...(options.engine && { engine: options.engine }),
    ...(options.hosts && { hosts: options.hosts }),
  };
}
