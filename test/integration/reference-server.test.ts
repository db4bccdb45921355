// The loader benchmark's reference server: nginx from a temp folder, pinned to one CPU, answering
// /json, and gone after stop(). Needs nginx: the test fails (not skips) without it. A system nginx,
// running or not, is neither used nor touched.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { processGroupMembers } from '../../harness/runtime/process-tree.ts';
import { findNginx, startNginx, type ReferenceServer } from '../../harness/tools/reference-server.ts';

/** Live nginx processes: pid -> command line. */
function nginxProcesses(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      if (comm === 'nginx' && state !== 'Z') out.set(Number(name), fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // gone
    }
  }
  return out;
}

function cpusAllowed(pid: number): string {
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
}

let server: ReferenceServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('startNginx', () => {
  it('answers /json, is pinned to the CPU asked for, and leaves nothing after stop', async () => {
    if (!findNginx()) throw new Error('nginx is not installed, and this test needs it: sudo apt-get install -y nginx-light');
    const cpu = 1;
    server = await startNginx({ cpu });
    expect(server.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/json$/);

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"message":"Hello, World!"}');
    const other = await fetch(new URL('/other', server.url));
    await other.arrayBuffer();
    expect(other.status).toBe(404);

    // One keep-alive connection serves many requests.
    for (let i = 0; i < 50; i++) expect((await fetch(server.url)).status).toBe(200);

    const members = processGroupMembers(server.pid);
    expect(members).toContain(server.pid);
    for (const pid of members) expect(cpusAllowed(pid), `pid ${pid}`).toBe(String(cpu));
    const dir = /-p (\S+)/.exec(nginxProcesses().get(server.pid) ?? '')?.[1];
    expect(dir && fs.existsSync(dir)).toBeTruthy();
    // Other nginx processes (a system one, someone else's) may run meanwhile: ours are those of its folder.
    const ofOurs = () => [...nginxProcesses()].filter(([pid, cmdline]) => cmdline.includes(dir!) || members.includes(pid)).map(([pid]) => pid);
    expect(ofOurs()).toContain(server.pid);
    for (const pid of ofOurs()) expect(members).toContain(pid);

    const pid = server.pid;
    await server.stop();
    await server.stop(); // idempotent
    server = undefined;
    expect(processGroupMembers(pid)).toEqual([]);
    expect(ofOurs()).toEqual([]);
    expect(fs.existsSync(dir!)).toBe(false);
  });

  it('keeps its error log in logDir when one is given', async () => {
    const logDir = fs.mkdtempSync('/tmp/reference-server-logs-');
    try {
      server = await startNginx({ cpu: 0, logDir });
      expect(cpusAllowed(server.pid)).toBe('0');
      expect((await fetch(server.url)).status).toBe(200);
      await server.stop();
      server = undefined;
      expect(fs.existsSync(`${logDir}/nginx.log`)).toBe(true);
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  });
});
