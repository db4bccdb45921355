// The compressed image size against an independent computation: the engine's CLI saves the image
// to a file (`podman save --format docker-archive`, or `docker save`), tar extracts it, and each
// layer tar its manifest lists is compressed whole, at level 6, by Node's zlib (the harness's
// compressor, so the figures must agree to within 0.1%: same layers, same bytes, same sum) and by
// GNU gzip -6 -n. The harness instead streams the engine's API `save` entry by entry.
// GNU gzip and Node's bundled zlib (Chromium's fork) are different deflate implementations: on
// this machine's node base layers, zlib gives 2.3-2.4% more than gzip at the same level, so the
// cross-check with gzip allows 3%; a wrong layer or a missed one is off by far more.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/docker/engine.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { loadTarget } from '../../harness/targets.ts';
import { FIXTURE_TARGETS, requireEngine } from '../helpers.ts';

let engine: Engine;
let runtime: DockerRuntime;
const target = loadTarget(path.join(FIXTURE_TARGETS, 'fixture-slow-start'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compressed-'));

/** Fails, saying what to install, when a command the independent computation needs is absent. */
async function requireCommand(command: string, install: string): Promise<void> {
  const r = await execa(command, ['--version'], { reject: false });
  if (r.failed && (r as { code?: string }).code === 'ENOENT') throw new Error(`\`${command}\` is needed to check the compressed sizes independently: ${install}`);
}

/** Bytes `gzip -6 -n -c file` writes, counted as they come (a layer can be hundreds of MB). */
function gzipBytes(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('gzip', ['-6', '-n', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let n = 0;
    child.stdout.on('data', (chunk: Buffer) => (n += chunk.length));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`gzip exited with ${code}`))));
  });
}

beforeAll(async () => {
  engine = await requireEngine();
  runtime = new DockerRuntime(engine);
  await runtime.prepare(target, () => {});
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('compressed image size', () => {
  it("agrees with Node's zlib and GNU gzip at level 6 on the engine's own save output, and its base/app split adds up", { timeout: 600_000 }, async () => {
    const cli = engine.name === 'podman' ? 'podman' : 'docker';
    await requireCommand(cli, engine.name === 'podman' ? 'apt-get install -y podman (or bash docker/setup-podman.sh)' : 'install the Docker CLI');
    await requireCommand('gzip', 'apt-get install -y gzip');
    await requireCommand('tar', 'apt-get install -y tar');

    const info = await runtime.image(target);
    const archive = path.join(work, 'image.tar');
    await execa(cli, cli === 'podman' ? ['save', '--format', 'docker-archive', '-o', archive, info.tag] : ['save', '-o', archive, info.tag]);
    const dir = path.join(work, 'x');
    fs.mkdirSync(dir);
    await execa('tar', ['-xf', archive, '-C', dir]);
    fs.rmSync(archive);
    const [manifest] = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const zlibLayers: number[] = [];
    const gzipLayers: number[] = [];
    for (const layer of manifest!.Layers) {
      zlibLayers.push(gzipSync(fs.readFileSync(path.join(dir, layer)), { level: 6 }).length);
      gzipLayers.push(await gzipBytes(path.join(dir, layer)));
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const off = (x: number | undefined, y: number) => Math.abs(x! - y) / y;

    expect(info.compressedBytes).toBeDefined();
    expect(off(info.compressedBytes, sum(zlibLayers))).toBeLessThan(0.001);
    expect(off(info.compressedBytes, sum(gzipLayers))).toBeLessThan(0.03);
    // The split: the base's own layers lead the image's; together they are the whole.
    const baseLayers = (await engine.docker.getImage(info.base.ref).inspect()).RootFS.Layers ?? [];
    expect(baseLayers.length).toBeGreaterThan(0);
    expect(baseLayers.length).toBeLessThan(manifest!.Layers.length);
    expect(off(info.baseCompressedBytes, sum(zlibLayers.slice(0, baseLayers.length)))).toBeLessThan(0.001);
    expect(off(info.baseCompressedBytes, sum(gzipLayers.slice(0, baseLayers.length)))).toBeLessThan(0.03);
    expect(info.baseCompressedBytes! + info.appCompressedBytes!).toBe(info.compressedBytes);
    expect(info.base.compressedBytes).toBe(info.baseCompressedBytes);
    // The fixture adds one small file over the node base: its app layers are tiny, its base is not.
    expect(info.appCompressedBytes!).toBeGreaterThan(0);
    expect(info.appCompressedBytes!).toBeLessThan(1e6);
    expect(info.compressedBytes!).toBeLessThan(info.imageBytes);
    expect(info.compressedMethod).toMatch(/^gzip level 6 .*`save` output/);
    console.log(
      `${info.tag}: ${info.compressedBytes} bytes compressed (independently: zlib ${sum(zlibLayers)}, gzip -6 -n ${sum(gzipLayers)}), ${info.imageBytes} on disk; base ${info.baseCompressedBytes} + app ${info.appCompressedBytes}`,
    );
  });
});
