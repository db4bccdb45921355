// The reaper: a detached sidecar that outlives a crashed harness. The harness writes lines to its
// stdin: "+g <pgid>" / "-g <pgid>" for process groups, "+c <socket> <id>" / "-c <socket> <id>"
// for containers, "+d <dir>" / "-d <dir>" for data folders. When stdin closes (the harness exited,
// however it died) it ends every process group, removes every container still registered, and
// then the folders, and exits. Same idea as testcontainers' Ryuk.
import fs from 'node:fs';
import http from 'node:http';

const groups = new Set<number>();
const containers = new Map<string, string>(); // id -> unix socket path
const dirs = new Set<string>();

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

function removeContainer(socketPath: string, id: string): Promise<void> {
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
    } else if ((op === '+c' || op === '-c') && args.length === 2) {
      if (op === '+c') containers.set(args[1]!, args[0]!);
      else containers.delete(args[1]!);
    }
  }
});
process.stdin.on('end', async () => {
  killGroups('SIGTERM');
  await Promise.all([...containers].map(([id, socket]) => removeContainer(socket, id)));
  // Folders go once their processes are gone (a database writes to its folder until it exits).
  const deadline = Date.now() + 3000;
  while (groupsAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  killGroups('SIGKILL');
  while (groupsAlive() && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 50));
  removeDirs();
  process.exit(0);
});
