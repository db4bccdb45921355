// The compressed image size without an engine: a docker-archive built here with tar-stream (the
// layout Podman's `save` writes: layer tars first, config, legacy <id>/layer.tar links, manifest.json
// last), its layers gzipped while streamed, and the base/app split by the base's leading layers.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import {
  archiveLayers,
  commonPrefix,
  describeMethod,
  entryName,
  GZIP_LEVEL,
  gzipSize,
  parseDiffIds,
  parseManifest,
  readArchive,
  resolveLink,
  splitByBase,
  type ArchiveLayer,
} from '../../harness/docker/compressed-size.ts';

/** Layer contents: half random (incompressible), half repeated text, so gzip sizes differ from raw sizes. */
const layer = (kb: number, seed: string) => Buffer.concat([randomBytes(kb * 512), Buffer.from(seed.repeat(kb * 512)).subarray(0, kb * 512)]);

async function archive(layers: { id: string; body: Buffer }[], tag = 'localhost/bench/x:1'): Promise<Buffer> {
  const p = pack();
  // Read while writing: the pack stream holds back entries nobody reads.
  const chunks: Buffer[] = [];
  p.on('data', (chunk) => void chunks.push(Buffer.from(chunk as Uint8Array)));
  const ended = new Promise<void>((resolve) => p.on('end', () => resolve()));
  const add = (name: string, body: Buffer | string) => new Promise<void>((resolve, reject) => p.entry({ name }, body, (e) => (e ? reject(e) : resolve())));
  for (const l of layers) await add(`${l.id}.tar`, l.body);
  await add('cfg.json', JSON.stringify({ rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${l.id}`) } }));
  for (const l of layers) {
    await new Promise<void>((resolve, reject) => p.entry({ name: `legacy-${l.id}/layer.tar`, type: 'symlink', linkname: `../${l.id}.tar` }, (e) => (e ? reject(e) : resolve())));
  }
  await add('manifest.json', JSON.stringify([{ Config: 'cfg.json', RepoTags: [tag], Layers: layers.map((l) => `${l.id}.tar`) }]));
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

describe('docker-archive manifest and config', () => {
  it('reads the entry of the tag asked for, else the only one, with normalized paths', () => {
    const text = JSON.stringify([
      { Config: 'a.json', RepoTags: ['one:1'], Layers: ['./l1.tar'] },
      { Config: 'b.json', RepoTags: null, Layers: ['l2.tar', 'dir/layer.tar'] },
    ]);
    expect(parseManifest(text)).toEqual({ config: 'a.json', layers: ['l1.tar'] });
    expect(parseManifest(text, 'nope:1')).toEqual({ config: 'a.json', layers: ['l1.tar'] });
    expect(parseManifest(JSON.stringify([{ Config: 'c', RepoTags: ['x'], Layers: [] }, { Config: 'd', RepoTags: ['y'], Layers: ['z/'] }]), 'y')).toEqual({ config: 'd', layers: ['z'] });
  });

  it('refuses what is not a docker-archive manifest, saying so', () => {
    expect(() => parseManifest('{"schemaVersion":2}')).toThrow(/not a docker-archive manifest/);
    expect(() => parseManifest('[]')).toThrow(/not a docker-archive manifest/);
    expect(() => parseDiffIds('{"config":{}}')).toThrow(/rootfs.diff_ids/);
    expect(parseDiffIds('{"rootfs":{"type":"layers","diff_ids":["sha256:a","sha256:b"]}}')).toEqual(['sha256:a', 'sha256:b']);
  });

  it('follows links to the stored file, relative paths resolved', () => {
    expect(entryName('./a/../b.tar')).toBe('b.tar');
    const links = new Map([
      ['x/layer.tar', 'y/layer.tar'],
      ['y/layer.tar', 'abc.tar'],
    ]);
    expect(resolveLink('x/layer.tar', links)).toBe('abc.tar');
    expect(resolveLink('abc.tar', links)).toBe('abc.tar');
    expect(resolveLink('loop', new Map([['loop', 'loop']]))).toBe('loop'); // bounded, no hang
  });
});

describe('base and app split', () => {
  const l = (diffId: string, compressedBytes: number): ArchiveLayer => ({ file: `${diffId}.tar`, diffId, bytes: compressedBytes * 3, compressedBytes });

  it("counts the base's layers as the image's leading ones", () => {
    expect(commonPrefix(['a', 'b', 'c'], ['a', 'b'])).toBe(2);
    expect(commonPrefix(['a', 'b'], ['a', 'b'])).toBe(2);
    expect(commonPrefix(['a', 'x', 'c'], ['a', 'b'])).toBe(1);
    expect(commonPrefix(['a'], [])).toBe(0);
  });

  it('adds up on each side, and says when the base was not all there', () => {
    const layers = [l('a', 100), l('b', 20), l('c', 3)];
    expect(splitByBase(layers, ['a', 'b'])).toEqual({ compressedBytes: 123, baseCompressedBytes: 120, appCompressedBytes: 3, baseLayers: 2, layers: 3, complete: true });
    const partial = splitByBase(layers, ['a', 'other']);
    expect(partial).toMatchObject({ baseCompressedBytes: 100, appCompressedBytes: 23, baseLayers: 1, complete: false });
    expect(describeMethod(splitByBase(layers, ['a', 'b']))).toMatch(/^gzip level 6 .*`save` output \(docker-archive\).*3 layers.*first 2 layers, the base image's own; app = the 1/);
    expect(describeMethod(partial)).toMatch(/not all in the image/);
  });
});

describe('streaming an archive', () => {
  it('gzips a stream at level 6 to the size zlib gives the whole buffer', async () => {
    const body = layer(64, 'abc');
    expect(await gzipSize(Readable.from([body.subarray(0, 1000), body.subarray(1000)]))).toBe(gzipSync(body, { level: GZIP_LEVEL }).length);
    const kept: Buffer[] = [];
    await gzipSize(Readable.from([body]), GZIP_LEVEL, kept);
    expect(Buffer.concat(kept).equals(body)).toBe(true);
  });

  it("gives every layer's gzip size in RootFS order, manifest read at the end, links followed", async () => {
    const layers = [
      { id: 'base1', body: layer(256, 'debian ') },
      { id: 'app1', body: layer(32, 'node_modules ') },
      { id: 'app2', body: Buffer.from('tiny') },
    ];
    const read = await readArchive(Readable.from([await archive(layers)]));
    expect(read.links.get('legacy-app1/layer.tar')).toBe('app1.tar');
    const got = archiveLayers(read, 'localhost/bench/x:1');
    expect(got.map((g) => g.diffId)).toEqual(['sha256:base1', 'sha256:app1', 'sha256:app2']);
    expect(got.map((g) => g.compressedBytes)).toEqual(layers.map((x) => gzipSync(x.body, { level: 6 }).length));
    expect(got.map((g) => g.bytes)).toEqual(layers.map((x) => x.body.length));
    const split = splitByBase(got, ['sha256:base1']);
    expect(split.baseCompressedBytes).toBe(gzipSync(layers[0]!.body, { level: 6 }).length);
    expect(split.baseCompressedBytes + split.appCompressedBytes).toBe(split.compressedBytes);
  });

  it('fails clearly on an archive without a manifest or with a missing layer', async () => {
    const p = pack();
    p.entry({ name: 'x.tar' }, 'x');
    p.finalize();
    const read = await readArchive(p as unknown as NodeJS.ReadableStream);
    expect(() => archiveLayers(read)).toThrow(/has no manifest.json/);
    read.small.set('manifest.json', Buffer.from(JSON.stringify([{ Config: 'c.json', Layers: ['gone.tar'] }])));
    read.small.set('c.json', Buffer.from(JSON.stringify({ rootfs: { diff_ids: ['sha256:gone'] } })));
    expect(() => archiveLayers(read)).toThrow(/has no layer gone.tar/);
    read.small.set('c.json', Buffer.from(JSON.stringify({ rootfs: { diff_ids: [] } })));
    expect(() => archiveLayers(read)).toThrow(/lists 1 layers but its config 0/);
  });
});
