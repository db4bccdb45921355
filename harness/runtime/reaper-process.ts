// The reaper: a detached sidecar that outlives a crashed harness. The harness writes lines to its
// stdin: "+g <pgid>" / "-g <pgid>" for process groups, "+c <engine> <id>" / "-c <engine> <id>"
// for containers (a unix socket's path, or the address of another host's engine, announced first by
// "+e <address> <connect options as JSON>"), "+d <dir>" / "-d <dir>" for data folders, and
// "+s <pid>" / "-s <pid>" for an engine's API service the harness started (ended last: the
// containers are removed through it), and "+x <key> <{argv, env} as JSON>" / "-x <key>" for a
// command that undoes what was made outside any engine (run after the containers, before the
// services end). When stdin closes (the harness exited,
// however it died) it ends every process group, removes every container still registered, and
// then the folders, and exits. Same idea as testcontainers' Ryuk.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import Docker from 'dockerode';
import { dockerOptions, parseHostAddress, type ConnectOptions } from '../hosts/address.ts';

const groups = new Set<number>();
const containers = new Map<string, string>(); // id -> unix socket path
const dirs = new Set<string>();
const engines = new Map<string, ConnectOptions>(); // another host's address -> how to connect
const services = new Set<number>();
const cleanups = new Map<string, { argv: string[]; env: Record<string, string> }>();

function removeDirs(): void {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

function groupsAlive(): boolean {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      groups.delete(pgid);
    }
  }
  return false;
}
let buffer = '';

function killGroups(signal: NodeJS.Signals): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      groups.delete(pgid); // already gone
    }
  }
}

/** Removes a container from another host's engine; gives up after 20 s (a host that cannot be reached keeps it: `bench clean` lists it). */
async function removeRemote(address: string, id: string): Promise<void> {
  try {
    // No dockerode `timeout`: its ssh transport's stream has no setTimeout, and the call throws.
    const docker = new Docker(dockerOptions(parseHostAddress(address, 'reaper'), engines.get(address) ?? {}));
    await Promise.race([docker.getContainer(id).remove({ force: true, v: true }), new Promise((r) => setTimeout(r, 20_000))]);
  } catch {
    // gone already, or the host cannot be reached
  }
}

/** Sends `sig` (0: only asks); false when the process is gone. */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function removeContainer(socketPath: string, id: string): Promise<void> {
  if (!socketPath.startsWith('/')) return removeRemote(socketPath, id);
  return new Promise((resolve) => {
    const req = http.request({ socketPath, method: 'DELETE', path: `/containers/${encodeURIComponent(id)}?force=true&v=true`, timeout: 20_000 }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => resolve());
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

process.on('SIGINT', () => {}); // Ctrl-C belongs to the harness; the reaper waits for stdin to close.
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffer += chunk;
  const lines = buffer.split('\n');
  buffer = lines.pop() ?? '';
  for (const line of lines) {
    const [op, ...args] = line.trim().split(' ');
    if (op === '+g' || op === '-g') {
      const pgid = Number(args[0]);
      if (!Number.isInteger(pgid) || pgid <= 1) continue;
      if (op === '+g') groups.add(pgid);
      else groups.delete(pgid);
    } else if ((op === '+d' || op === '-d') && args.join(' ').startsWith('/')) {
      const dir = args.join(' ');
      if (op === '+d') dirs.add(dir);
      else dirs.delete(dir);
    } else if (op === '+s' || op === '-s') {
      const pid = Number(args[0]);
      if (!Number.isInteger(pid) || pid <= 1) continue;
      if (op === '+s') services.add(pid);
      else services.delete(pid);
    } else if (op === '+e' && args.length >= 2) {
      try {
        engines.set(args[0]!, JSON.parse(args.slice(1).join(' ')) as ConnectOptions);
      } catch {
        // a line the harness did not write
      }
    } else if (op === '+x' && args.length >= 2) {
      try {
        const c = JSON.parse(args.slice(1).join(' ')) as { argv: string[]; env?: Record<string, string> };
        if (Array.isArray(c.argv) && c.argv.length) cleanups.set(args[0]!, { argv: c.argv, env: c.env ?? {} });
      } catch {
        // a line the harness did not write
      }
    } else if (op === '-x' && args.length === 1) {
      cleanups.delete(args[0]!);
    } else if ((op === '+c' || op === '-c') && args.length === 2) {
      if (op === '+c') containers.set(args[1]!, args[0]!);
      else containers.delete(args[1]!);
    }
  }
});
process.stdin.on('end', async () => {
  killGroups('SIGTERM');
  await Promise.all([...containers].map(([id, socket]) => removeContainer(socket, id)));
  // Bounded: a cleanup that hangs must not keep the reaper (and the engine services) alive.
  for (const { argv, env } of cleanups.values()) spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 120_000 });
  // The engine's API service after its containers; SIGTERM lets it clean up, as its owner would.
  for (const pid of services) signal(pid, 'SIGTERM');
  // Folders go once their processes are gone (a database writes to its folder until it exits).
  const deadline = Date.now() + 3000;
  while (groupsAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  killGroups('SIGKILL');
  const serviceDeadline = Date.now() + 2000;
  const serviceAlive = () => [...services].some((pid) => signal(pid, 0));
  while (serviceAlive() && Date.now() < serviceDeadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of services) signal(pid, 'SIGKILL');
  while (groupsAlive() && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 50));
  removeDirs();
  process.exit(0);
});
