// A container's resource use read from the files of the machine it runs on (its cgroup, its
// processes' /proc): the docker runtime here, and the reader container on another host, read it
// with these same functions, so both report the same figure. No call to the engine's API.
import type { ResourceSample } from '../types.ts';
import { readCgroupCpuSeconds, readCgroupMemory, type CgroupPaths } from './cgroup.ts';
import { sampleTree } from './process-tree.ts';

/** One reading of a container from its cgroup files: no call to the engine's API. */
export function sampleCgroup(paths: CgroupPaths): ResourceSample | null {
  const memory = readCgroupMemory(paths);
  const cpuSeconds = readCgroupCpuSeconds(paths);
  if (!memory || cpuSeconds === null) return null;
  return { atMs: performance.now(), memoryBytes: memory.workingSetBytes, rssBytes: memory.usageBytes, cpuSeconds };
}

/**
 * A container's memory as the local runtime reads a process tree's: PSS summed over the container's
 * processes (the tree under its main process, seen from the host's /proc), so both runtimes report
 * the same figure and the claim compares like with like. CPU stays the cgroup's. Null when a whole
 * PSS reading could not be had (a process exited meanwhile), as locally.
 */
export function sampleContainerPss(pid: number, paths: CgroupPaths): ResourceSample | null {
  const tree = sampleTree(pid);
  const cpuSeconds = readCgroupCpuSeconds(paths);
  if (!tree || cpuSeconds === null) return null;
  return { ...tree, cpuSeconds };
}

