// Redis's configuration and client: both runtimes run the one redis.conf text built from the
// recorded list; a missing redis-server is a UserError that says how to install it; the RESP
// parser reads replies however the socket splits them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { serviceContext } from '../../harness/runtime/docker.ts';
import { encodeCommand, parseInfo, parseReply, RespError } from '../../harness/services/redis-client.ts';
import { REDIS_CONFIG, REDIS_SETTINGS, redisConf } from '../../harness/services/redis-config.ts';
import { findRedisServer, localRedis, redisService } from '../../harness/services/redis.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('redis configuration', () => {
  it('writes one quoted line per setting, an empty value included', () => {
    expect(redisConf()).toBe(REDIS_SETTINGS.map(({ setting, value }) => `${setting} "${value}"\n`).join(''));
    expect(redisConf()).toContain('save ""\n');
    expect(redisConf([{ setting: 'x', value: 'a"b\\c', reason: 'r' }])).toBe('x "a\\"b\\\\c"\n');
    expect(() => redisConf([{ setting: 'x', value: 'a\nsave 1 1', reason: 'r' }])).toThrow(/one redis.conf line/);
    expect(() => redisConf([{ setting: 'x y', value: '1', reason: 'r' }])).toThrow(/one redis.conf line/);
  });

  it('records every setting with its reason: loopback, no persistence, in the foreground', () => {
    expect(redisService.config).toBe(REDIS_CONFIG);
    const byName = Object.fromEntries(REDIS_CONFIG.map((c) => [c.setting, c.value]));
    expect(byName).toEqual({ bind: '127.0.0.1', save: '', appendonly: 'no', daemonize: 'no' });
    for (const c of REDIS_CONFIG) expect(c.reason.length, c.setting).toBeGreaterThan(20);
  });

  it('hands the container exactly the local redis.conf, on the Debian base', () => {
    const env = redisService.docker!.env(6380);
    expect(env).toEqual({ REDIS_PORT: '6380', REDIS_CONF: redisConf() });
    expect(redisService.docker!.base).toBe('debian');
    expect(serviceContext(redisService.docker!.dockerfile)).toBe(path.join(PROJECT_ROOT, 'docker/redis'));
    expect(fs.readFileSync(path.join(PROJECT_ROOT, redisService.docker!.dockerfile), 'utf8')).toMatch(/apt-get install -y --no-install-recommends redis-server/);
  });

  it('hands the targets a REDIS_URL for database 0', () => {
    expect(redisService.env({ host: '127.0.0.1', port: 6390 })).toEqual({ REDIS_URL: 'redis://127.0.0.1:6390/0' });
  });
});

describe('local redis-server', () => {
  it('is found in the folders given, and only an executable file counts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-redistest-'));
    temps.push(dir);
    expect(findRedisServer([dir])).toBeNull();
    fs.writeFileSync(path.join(dir, 'redis-server'), '#!/bin/sh\n', { mode: 0o644 });
    expect(findRedisServer([dir])).toBeNull();
    fs.chmodSync(path.join(dir, 'redis-server'), 0o755);
    expect(findRedisServer(['', dir])).toBe(path.join(dir, 'redis-server'));
  });

  it('when absent, is a UserError that says how to install it (nothing else is swapped in)', async () => {
    const error = await localRedis(null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).fix).toContain('sudo apt-get install -y redis-server');
  });
});

describe('RESP', () => {
  it('encodes a command as an array of bulk strings, counting bytes', () => {
    expect(encodeCommand(['PING']).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect(encodeCommand(['SET', 'k', 'é']).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  });

  it('parses every RESP2 type, and waits for the rest of a split reply', () => {
    const reply = Buffer.from('*4\r\n+OK\r\n:42\r\n$2\r\né\r\n*2\r\n$-1\r\n-ERR no\r\n');
    const [value, end] = parseReply(reply)!;
    expect(end).toBe(reply.length);
    const [ok, n, s, [nil, err]] = value as [string, number, string, [null, RespError]];
    expect([ok, n, s, nil]).toEqual(['OK', 42, 'é', null]);
    expect(err).toBeInstanceOf(RespError);
    expect(err.message).toBe('ERR no');
    for (let cut = 0; cut < reply.length; cut++) expect(parseReply(reply.subarray(0, cut)), `cut at ${cut}`).toBeNull();
  });

  it('reads INFO fields', () => {
    expect(parseInfo('# Server\r\nredis_version:8.0.2\r\nos:Linux 6.1\r\n\r\n')).toEqual({ redis_version: '8.0.2', os: 'Linux 6.1' });
  });
});
