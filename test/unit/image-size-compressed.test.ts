// The image-size section, chart and claim figure with compressed sizes, and with results from
// before them (which must still validate and read, falling back to the size on disk, saying so).
import { describe, expect, it } from 'vitest';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { describeMethod } from '../../harness/docker/compressed-size.ts';
import { imageInfoSchema, type ImageInfo } from '../../harness/schema.ts';
import type { Figure } from '../../harness/types.ts';
import { imageSizeScenario } from '../../scenarios/image-size.ts';
import { fakeResults, measurement } from '../fixtures/results.ts';

const onDisk = (name: string, imageBytes: number, baseBytes: number): ImageInfo => ({
  tag: `localhost/bench/${name}:x`,
  id: 'sha256:x',
  imageBytes,
  baseBytes,
  appBytes: imageBytes - baseBytes,
  base: { ref: `localhost/bench-local/${name}-base`, origin: 'local', bytes: baseBytes },
});
const compressed = (i: ImageInfo, base: number, app: number): ImageInfo => ({
  ...i,
  compressedBytes: base + app,
  baseCompressedBytes: base,
  appCompressedBytes: app,
  compressedMethod: 'gzip level 6 of each layer',
  base: { ...i.base, compressedBytes: base },
});

const kind = imageSizeScenario.kind;
const node = compressed(onDisk('node', 231e6, 221e6), 78e6, 2e6);
const django = compressed(onDisk('django', 215e6, 122e6), 46e6, 39e6);

describe('image sizes, compressed and on disk', () => {
  it('validates results with and without the compressed fields', () => {
    expect(imageInfoSchema.safeParse(node).success).toBe(true);
    expect(imageInfoSchema.safeParse(onDisk('old', 2, 1)).success).toBe(true);
  });

  it('shows both sizes side by side, each split base/app, and the bases with their own sizes', () => {
    const section = kind.section([measurement('node', 'image-size', { image: node }), measurement('django', 'image-size', { image: django })], fakeResults());
    const [sizes, bases] = section.tables;
    expect(sizes!.header).toEqual(['target', 'compressed', 'compressed base', 'compressed app', 'on disk', 'on-disk base', 'on-disk app', 'base image', 'base origin']);
    expect(sizes!.rows).toEqual([
      ['node', '80.0 MB', '78.0 MB', '2.0 MB', '231.0 MB', '221.0 MB', '10.0 MB', 'localhost/bench-local/node-base', 'local'],
      ['django', '85.0 MB', '46.0 MB', '39.0 MB', '215.0 MB', '122.0 MB', '93.0 MB', 'localhost/bench-local/django-base', 'local'],
    ]);
    expect(bases!.rows[0]).toEqual(['localhost/bench-local/node-base', 'local stand-in (built here from Debian: no registry reachable)', '78.0 MB', '221.0 MB']);
    expect(section.paragraphs[0]).toMatch(/judged on the compressed size\./);
    expect(section.paragraphs[1]).toBe('Compressed size of node and django: gzip level 6 of each layer.');
  });

  it('charts the compressed sizes', () => {
    const [chart] = kind.charts([measurement('node', 'image-size', { image: node })], fakeResults());
    expect(chart!.title).toBe('Image size, base and app layers (MB, compressed as a registry stores it)');
    expect((chart!.spec as { data: { values: { mb: number }[] } }).data.values.map((v) => v.mb)).toEqual([78, 2]);
  });

  it('gives the claim the compressed size, and says which size it is', () => {
    const f = kind.figure('image-bytes', { image: node }, fakeResults()) as Figure;
    expect(f.samples[0]!.value).toBe(80e6);
    expect(f.detail).toMatch(/^compressed as a registry stores it/);
    expect(kind.series({ image: node }).map((s) => [s.metric, s.samples[0]])).toEqual([
      ['size', 231e6],
      ['compressed size', 80e6],
    ]);
  });

  it('falls back to the size on disk for old results, in the figure, the section and the chart, saying so', () => {
    const old = onDisk('node', 231e6, 221e6);
    const f = kind.figure('image-bytes', { image: old }, fakeResults()) as Figure;
    expect(f.samples[0]!.value).toBe(231e6);
    expect(f.detail).toMatch(/^uncompressed on disk: these results have no compressed size/);
    const section = kind.section([measurement('node', 'image-size', { image: old })], fakeResults());
    expect(section.tables).toHaveLength(1);
    expect(section.tables[0]!.header).toEqual(['target', 'image', 'base', 'app layers', 'base image', 'base origin']);
    expect(section.paragraphs[1]).toMatch(/falls back to the uncompressed size/);
    // One kind of size per chart: an old image among new ones makes it uncompressed.
    const [chart] = kind.charts([measurement('node', 'image-size', { image: old }), measurement('django', 'image-size', { image: django })], fakeResults());
    expect(chart!.title).toMatch(/uncompressed/);
  });

  it('judges the image-size claim on the compressed sizes', () => {
    const run = (n: ImageInfo, d: ImageInfo) => {
      const r = fakeResults();
      r.measurements.push(measurement('node', 'image-size', { image: n }), measurement('django', 'image-size', { image: d }));
      return evaluateClaims(r).find((v) => v.claim.id === 'image-size')!;
    };
    expect(run(node, django).ratio!.value).toBeCloseTo(85 / 80, 6);
    expect(run(onDisk('node', 231e6, 221e6), onDisk('django', 215e6, 122e6)).ratio!.value).toBeCloseTo(215 / 231, 6);
  });

  it("describes each image's own layers and base, never the first image's as everyone's", () => {
    // Methods as a run records them: the layer counts and the base/app split are each image's own.
    const method = (layers: number, baseLayers: number) => describeMethod({ compressedBytes: 0, baseCompressedBytes: 0, appCompressedBytes: 0, layers, baseLayers, complete: true });
    const nodeOwn = { ...node, compressedMethod: method(6, 4) };
    const expressOwn = { ...compressed(onDisk('express', 225e6, 221e6), 78e6, 1e6), compressedMethod: method(6, 4) };
    const djangoOwn = { ...django, compressedMethod: method(7, 2) };
    const section = kind.section(
      [measurement('node', 'image-size', { image: nodeOwn }), measurement('django', 'image-size', { image: djangoOwn }), measurement('express', 'image-size', { image: expressOwn })],
      fakeResults(),
    );
    const [general, ...own] = section.paragraphs;
    // The text shared by every image types no layer count: those come from each image's record.
    expect(general).not.toMatch(/\d+ layers|first \d+|the \d+ the Dockerfile/);
    expect(own).toEqual([`Compressed size of node and express: ${nodeOwn.compressedMethod}.`, `Compressed size of django: ${djangoOwn.compressedMethod}.`]);
    expect(own[0]).toMatch(/summed over the 6 layers .*first 4 layers.*app = the 2 the Dockerfile adds/);
    expect(own[1]).toMatch(/summed over the 7 layers .*first 2 layers.*app = the 5 the Dockerfile adds/);
    // Neither image's description is attributed to the other.
    expect(own[0]).not.toMatch(/django|7 layers|first 2 layers/);
    expect(own[1]).not.toMatch(/node|express|6 layers|first 4 layers/);
    // Each base image with its own sizes, not the first image's.
    expect(section.tables[0]!.rows.map((r) => [r[0], r[2], r[7]])).toEqual([
      ['node', '78.0 MB', 'localhost/bench-local/node-base'],
      ['django', '46.0 MB', 'localhost/bench-local/django-base'],
      ['express', '78.0 MB', 'localhost/bench-local/express-base'],
    ]);
  });
});
