// An image's size as a registry stores it: a registry keeps each layer as a gzip-compressed tar
// (what `docker push` uploads), so that size is the sum of the layers' compressed sizes. Computed
// from the engine's own `save` output (a docker-archive tar: manifest.json names the config and the
// layer tars, in RootFS order), streamed entry by entry, never held in memory or written to disk:
// images are hundreds of MB. The base/app split matches the base image's layers (its RootFS.Layers
// are a prefix of the image's) and adds up the compressed sizes on each side.
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type Docker from 'dockerode';
// tar-stream is a direct dependency (package.json), not only tar-fs's: this module parses the
// engine's archive with it, so its version must not depend on what tar-fs happens to pull in.
import { extract as tarExtract } from 'tar-stream';
import { z } from 'zod';

/**
 * `docker push` compresses layers with gzip at the default level, 6. Deflate implementations differ
 * at the same level: Node's bundled zlib (Chromium's fork, faster hashing) gives a few percent more
 * than GNU `gzip -6` on the same layer, which is why the method records the zlib version.
 */
export const GZIP_LEVEL = 6;
/** Entries kept in memory while streaming, so that the manifest and the config can be read at the end (they come last). */
const KEEP_BYTES = 4 * 1024 * 1024;

const manifestSchema = z.array(z.object({ Config: z.string(), RepoTags: z.array(z.string()).nullish(), Layers: z.array(z.string()) })).min(1);
const configSchema = z.object({ rootfs: z.object({ diff_ids: z.array(z.string()) }) });

export interface ArchiveManifest {
  config: string;
  layers: string[];
}

/** An archive's path without "./" or a trailing "/", as the manifest names it. */
export const entryName = (name: string): string => path.posix.normalize(name).replace(/^\.\//, '').replace(/\/$/, '');

/** The manifest entry of `tag` (or the only one), from a docker-archive's manifest.json. */
export function parseManifest(text: string, tag?: string): ArchiveManifest {
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`the image archive's manifest.json is not a docker-archive manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const entry = (tag && parsed.data.find((m) => m.RepoTags?.includes(tag))) || parsed.data[0]!;
  return { config: entryName(entry.Config), layers: entry.Layers.map(entryName) };
}

/** The layers' diff IDs (uncompressed digests, the image's RootFS.Layers) from the image config. */
export function parseDiffIds(text: string): string[] {
  const parsed = configSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error('the image config in the archive has no rootfs.diff_ids');
  return parsed.data.rootfs.diff_ids;
}

/** Follows links (a legacy archive links <id>/layer.tar to the layer it shares) to a stored file. */
export function resolveLink(name: string, links: ReadonlyMap<string, string>): string {
  let at = name;
  for (let hops = 0; links.has(at) && hops < 32; hops++) at = links.get(at)!;
  return at;
}

/** What streaming an archive leaves: every stored file's size, raw and gzipped; its links; its small files. */
export interface ArchiveRead {
  files: Map<string, { bytes: number; compressedBytes: number }>;
  links: Map<string, string>;
  small: Map<string, Buffer>;
}

export interface ArchiveLayer {
  file: string;
  diffId: string;
  /** The layer tar's own size, and gzipped. */
  bytes: number;
  compressedBytes: number;
}

/** The image's layers in RootFS order, each with its compressed size. Pure. */
export function archiveLayers(read: ArchiveRead, tag?: string): ArchiveLayer[] {
  const text = (name: string) => {
    const buffer = read.small.get(resolveLink(name, read.links));
    if (!buffer) throw new Error(`the image archive has no ${name}`);
    return buffer.toString('utf8');
  };
  const manifest = parseManifest(text('manifest.json'), tag);
  const diffIds = parseDiffIds(text(manifest.config));
  if (diffIds.length !== manifest.layers.length) throw new Error(`the image archive lists ${manifest.layers.length} layers but its config ${diffIds.length}`);
  return manifest.layers.map((file, i) => {
    const stored = read.files.get(resolveLink(file, read.links));
    if (!stored) throw new Error(`the image archive has no layer ${file}`);
    return { file, diffId: diffIds[i]!, ...stored };
  });
}

/** How many leading layers of the image are the base image's: all of the base's when it was built on that base. */
export function commonPrefix(image: readonly string[], base: readonly string[]): number {
  let n = 0;
  while (n < image.length && n < base.length && image[n] === base[n]) n++;
  return n;
}

export interface CompressedSplit {
  compressedBytes: number;
  baseCompressedBytes: number;
  appCompressedBytes: number;
  /** Leading layers counted as the base's, of the image's layers; complete when they are all the base's. */
  baseLayers: number;
  layers: number;
  complete: boolean;
}

/** Sums the compressed sizes on each side of the base's layers. Pure. */
export function splitByBase(layers: readonly ArchiveLayer[], baseDiffIds: readonly string[]): CompressedSplit {
  const baseLayers = commonPrefix(
    layers.map((l) => l.diffId),
    baseDiffIds,
  );
  const sum = (ls: readonly ArchiveLayer[]) => ls.reduce((s, l) => s + l.compressedBytes, 0);
  const baseCompressedBytes = sum(layers.slice(0, baseLayers));
  const appCompressedBytes = sum(layers.slice(baseLayers));
  return { compressedBytes: baseCompressedBytes + appCompressedBytes, baseCompressedBytes, appCompressedBytes, baseLayers, layers: layers.length, complete: baseLayers === baseDiffIds.length };
}

/** Gzipped size of a stream, counted as it goes. `keep` collects the raw bytes too. */
export async function gzipSize(source: AsyncIterable<Uint8Array>, level = GZIP_LEVEL, keep?: Buffer[]): Promise<number> {
  let n = 0;
  const input = keep
    ? (async function* () {
        for await (const chunk of source) {
          keep.push(Buffer.from(chunk));
          yield chunk;
        }
      })()
    : source;
  await pipeline(Readable.from(input), createGzip({ level }), async (out: AsyncIterable<Buffer>) => {
    for await (const chunk of out) n += chunk.length;
  });
  return n;
}

/** Streams a tar archive, gzipping every stored file on the way (which of them are layers is only known from manifest.json, at the end). */
export async function readArchive(archive: NodeJS.ReadableStream, level = GZIP_LEVEL): Promise<ArchiveRead> {
  const read: ArchiveRead = { files: new Map(), links: new Map(), small: new Map() };
  const extract = tarExtract();
  const feeding = pipeline(archive, extract);
  const reading = (async () => {
    for await (const entry of extract) {
      const { type, size, linkname } = entry.header;
      const name = entryName(entry.header.name);
      if (type === 'file' || type === 'contiguous-file') {
        const keep: Buffer[] | undefined = size <= KEEP_BYTES ? [] : undefined;
        // An entry's stream yields Buffers (streamx types its chunks as unknown).
        const compressedBytes = await gzipSize(entry as AsyncIterable<Uint8Array>, level, keep);
        read.files.set(name, { bytes: size, compressedBytes });
        if (keep) read.small.set(name, Buffer.concat(keep));
      } else {
        if (type === 'symlink') read.links.set(name, entryName(path.posix.join(path.posix.dirname(name), linkname)));
        if (type === 'link') read.links.set(name, entryName(linkname));
        entry.resume();
      }
    }
  })();
  await Promise.all([feeding, reading]);
  return read;
}

export interface CompressedSizes extends CompressedSplit {
  /** The base image's own compressed size (its layers in the image, or its own archive when they are not all there). */
  baseOwnCompressedBytes: number;
  method: string;
}

/** The engine's `save` of one image, as layers with their compressed sizes. */
export async function savedLayers(docker: Docker, ref: string): Promise<ArchiveLayer[]> {
  return archiveLayers(await readArchive(await docker.getImage(ref).get()), ref);
}

export function describeMethod(split: CompressedSplit): string {
  return (
    `gzip level ${GZIP_LEVEL} (the level \`docker push\` uses; Node's bundled zlib ${process.versions.zlib}) of each layer tar of the engine's \`save\` output (docker-archive), summed over the ${split.layers} layers of the image's manifest; ` +
    (split.complete
      ? `base = its first ${split.baseLayers} layers, the base image's own; app = the ${split.layers - split.baseLayers} the Dockerfile adds`
      : `only the first ${split.baseLayers} layers are the base image's (its layers are not all in the image): base = those, app = the rest; the base's own size is from its own archive`)
  );
}

/** Compressed sizes of `tag`, split at the base image `baseRef` (whose RootFS.Layers are `baseDiffIds`). */
export async function compressedSizes(docker: Docker, tag: string, baseRef: string, baseDiffIds: readonly string[]): Promise<CompressedSizes> {
  const split = splitByBase(await savedLayers(docker, tag), baseDiffIds);
  const baseOwnCompressedBytes = split.complete ? split.baseCompressedBytes : (await savedLayers(docker, baseRef)).reduce((s, l) => s + l.compressedBytes, 0);
  return { ...split, baseOwnCompressedBytes, method: describeMethod(split) };
}
