// The reaper: a detached sidecar that outlives a crashed harness. The harness writes "+<pgid>" and
// "-<pgid>" lines to its stdin; when stdin closes (the harness exited, however it died) it
// terminates every process group still registered, then exits. Same idea as testcontainers' Ryuk.
const groups = new Set<number>();
let buffer = '';

function kill(signal: NodeJS.Signals): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      groups.delete(pgid); // already gone
    }
  }
}

process.on('SIGINT', () => {}); // Ctrl-C belongs to the harness; the reaper waits for stdin to close.
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffer += chunk;
  const lines = buffer.split('\n');
  buffer = lines.pop() ?? '';
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line.startsWith('+')) groups.add(pgid);
    else if (line.startsWith('-')) groups.delete(pgid);
  }
});
process.stdin.on('end', () => {
  if (groups.size === 0) process.exit(0);
  kill('SIGTERM');
  setTimeout(() => {
    kill('SIGKILL');
    process.exit(0);
  }, 3000);
});
