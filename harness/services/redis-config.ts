// Redis's configuration for the benchmark: one list, recorded in results.json, from which both
// runtimes build the same redis.conf text (the local process reads it from its data folder; the
// container receives it in REDIS_CONF), so the two cannot drift. Only the port and the folder
// differ per run and are passed as arguments. Everything not listed keeps Redis's compiled-in
// default: no distribution's redis.conf is read.
import type { ServiceInfo } from '../schema.ts';

export type RedisSetting = ServiceInfo['config'][number];

export const REDIS_SETTINGS: RedisSetting[] = [
  {
    setting: 'bind',
    value: '127.0.0.1',
    reason: 'loopback only (the default listens on every interface): the targets and the harness run on this machine (containers with host networking), and the server has no password; protected mode stays on, and loopback clients are what it allows',
  },
  {
    setting: 'save',
    value: '',
    reason: 'no RDB snapshots (the default forks a snapshot to disk after 1, 100 or 10,000 writes): the channel layer and the adapter only pass messages through, a fork during a trial would disturb the measurement, and the data is thrown away after the run',
  },
  {
    setting: 'appendonly',
    value: 'no',
    reason: "Redis's default, stated because durability must never cost a trial a disk write: no append-only file, whatever a build or a distribution would turn on",
  },
  {
    setting: 'daemonize',
    value: 'no',
    reason: "Redis's default, stated because the runtime must hold the server itself (the local process or the container's PID 1) to measure it and stop it",
  },
];

/** The settings where the targets run on another host: it listens on its host's address; with no
 * password, protected mode would refuse every client beyond loopback. */
export function exposedRedisSettings(net: { listen: string; clients: string[] }): RedisSetting[] {
  return [
    ...REDIS_SETTINGS.map((s) => (s.setting === 'bind' ? { ...s, value: net.listen, reason: "the service host's address: the targets run on another host (the run's --target-host)" } : s)),
    { setting: 'protected-mode', value: 'no', reason: `it refuses every client beyond loopback while there is no password; the targets' host and the harness (${net.clients.join(', ')}) must reach it on the test or private network the run was given` },
  ];
}

/** Both runtimes' configuration as recorded in results.json (ServiceInfo.config). */
export const REDIS_CONFIG: RedisSetting[] = REDIS_SETTINGS;

/** One value as a redis.conf argument: always double-quoted (an empty value, as `save`, needs it). */
function quote(setting: string, value: string): string {
  if (/[\r\n\0]/.test(value) || !/^[a-z][a-z0-9-]*$/.test(setting)) throw new Error(`Redis setting ${setting} ${JSON.stringify(value)} cannot be written as one redis.conf line`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The redis.conf text both runtimes run with: one `setting "value"` line per listed setting. */
export function redisConf(settings: RedisSetting[] = REDIS_SETTINGS): string {
  return settings.map(({ setting, value }) => `${setting} ${quote(setting, value)}\n`).join('');
}
