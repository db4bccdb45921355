// The reader on another host: a kit worker in a privileged container that shares the host's pid
// and cgroup namespaces and its network, so it reads what the local runtime reads in this
// machine's /proc and cgroup files, for that host: a container's memory and CPU (the same figures,
// by the same functions), whether a process lives, the host's CPU, memory and kernel, a free port,
// and its wall clock for the harness to measure the offset of.
//
//   /kit/bun /kit/harness/hosts/reader-worker.ts '{"host":"ssh://root@10.0.0.3"}'
import fs from 'node:fs';
import net from 'node:net';
import { cgroupOfPid, DEFAULT_CGROUP_ROOT, parseCgroupMounts, readCgroupCpuSeconds, type CgroupPaths } from '../runtime/cgroup.ts';
import { sampleCgroup, sampleContainerPss } from '../runtime/container-sample.ts';
import { readPss, readProcStat } from '../runtime/process-tree.ts';
import { runWorker } from '../load/kit/worker-main.ts';
import { readerConfigSchema, type HostInfo, type ReaderCommand, type ReaderConfig, type ReaderReply, type RemoteSample } from './reader-protocol.ts';

const wallNow = () => performance.timeOrigin + performance.now();
const read = (file: string): string | null => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

// A container's cgroup does not change, nor how it is read (decided at its first sample, as the
// local runtime decides once per container); both are looked up again once its pid stops answering.
const readers = new Map<string, { paths: CgroupPaths; pss: boolean }>();

/** As harness/docker/container.ts reads a container here, with the same functions: PSS of its
 * process tree when readable, else its cgroup's working set; CPU from its cgroup. */
function sample(pid: number, pss: boolean): RemoteSample | null {
  const key = `${pid} ${pss}`;
  let how = readers.get(key);
  if (!how) {
    const paths = cgroupOfPid(pid);
    if (!paths) return null;
    readers.set(key, (how = { paths, pss: pss && readPss(pid) !== null }));
  }
  const s = how.pss ? sampleContainerPss(pid, how.paths) : sampleCgroup(how.paths);
  if (!s && readProcStat(pid) === null) readers.delete(key);
  return s && { wallMs: performance.timeOrigin + s.atMs, memoryBytes: s.memoryBytes, rssBytes: s.rssBytes, cpuSeconds: s.cpuSeconds };
}

function hostInfo(): HostInfo {
  const cpuinfo = read('/proc/cpuinfo') ?? '';
  const memKb = Number(/^MemTotal:\s+(\d+)\s*kB/m.exec(read('/proc/meminfo') ?? '')?.[1] ?? 0);
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    // Every CPU of the host, not the reader's cpuset.
    cores: cpuinfo.match(/^processor\s*:/gm)?.length ?? 0,
    memoryBytes: memKb * 1024,
    kernel: read('/proc/sys/kernel/osrelease')?.trim() ?? 'unknown',
    bootId: read('/proc/sys/kernel/random/boot_id')?.trim() ?? null,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

await runWorker<ReaderConfig, ReaderCommand, ReaderReply>({
  name: 'host reader',
  configSchema: readerConfigSchema,
  setup: (config) => {
    // What it must share with the host for its readings to be the host's, for the harness to check.
    // In a cgroup namespace of its own, its cgroup is that namespace's root, '/'; in the host's, a
    // container's never is. The hierarchy mounted must be the whole host's (each mount's root '/'),
    // not the container's own cgroup, as an engine mounts it by default.
    const ownCgroups = (read('/proc/self/cgroup') ?? '').split('\n').filter(Boolean).map((l) => l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1));
    const cgroupNamespace = ownCgroups.some((p) => p !== '/');
    const mounts = parseCgroupMounts(read('/proc/self/mountinfo') ?? '').filter((m) => m.mountPoint.startsWith(`${DEFAULT_CGROUP_ROOT}/`) || m.mountPoint === DEFAULT_CGROUP_ROOT);
    const own = cgroupOfPid(process.pid);
    return {
      host: config.host,
      hostPids: process.pid !== 1 && readProcStat(1) !== null,
      cgroupNamespace,
      hostCgroups: cgroupNamespace && mounts.length > 0 && mounts.every((m) => m.root === '/') && own !== null && readCgroupCpuSeconds(own) !== null,
    };
  },
  async handle(cmd) {
    switch (cmd.cmd) {
      case 'sample':
        return { type: 'sample', sample: sample(cmd.pid, cmd.pss) };
      case 'alive': {
        const stat = readProcStat(cmd.pid);
        return { type: 'alive', alive: stat !== null && stat.state !== 'Z' };
      }
      case 'host':
        return { type: 'host', ...hostInfo() };
      case 'free-port':
        return { type: 'port', port: await freePort() };
      case 'clock':
        return { type: 'clock', wallMs: wallNow() };
    }
  },
});
