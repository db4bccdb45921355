// Scenario `image-size`: the target's container image, uncompressed as the engine reports it
// (image inspect's Size), split into the base image's bytes and the bytes the Dockerfile adds.
// A size is deterministic: one reading is exact.
import { z } from 'zod';
import { fmtMB } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { imageInfoSchema, type ImageInfo } from '../harness/schema.ts';
import type { Measurement, ResultKind, Scenario } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

const imageResultSchema = z.object({ image: imageInfoSchema });
export type ImageResult = z.infer<typeof imageResultSchema>;

const imageOf = (m: Measurement): ImageInfo | undefined => (m.result as ImageResult | undefined)?.image;

const imageKind: ResultKind<ImageResult> = {
  schema: imageResultSchema,
  summaryLine: ({ image: i }) => `${fmtMB(i.imageBytes)} (base ${fmtMB(i.baseBytes)} ${i.base.origin}, app ${fmtMB(i.appBytes)})`,
  section(measurements) {
    const rows = measurements.flatMap((m) => (imageOf(m) ? [{ target: m.target, i: imageOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    return {
      paragraphs: [
        "Uncompressed image sizes, as the engine's `image inspect` reports them (MB = 10^6 bytes), split into the base image and the layers the target's Dockerfile adds. Compare like with like: a local base is a Debian-built stand-in for the official image.",
      ],
      tables: [{ header: ['target', 'image', 'base', 'app layers', 'base image', 'base origin'], rows: rows.map(({ target, i }) => [target, fmtMB(i.imageBytes), fmtMB(i.baseBytes), fmtMB(i.appBytes), i.base.ref, i.base.origin]) }],
      warnings: [],
    };
  },
  charts(measurements) {
    const values = measurements.flatMap((m) => {
      const i = imageOf(m);
      return i
        ? [
            { target: m.target, part: `base (${i.base.origin})`, mb: i.baseBytes / 1e6 },
            { target: m.target, part: 'app layers', mb: i.appBytes / 1e6 },
          ]
        : [];
    });
    return [
      {
        name: 'image-size',
        title: 'Image size, base and app layers (MB, uncompressed)',
        missing: 'no valid measurement of the `image-size` scenario in this run',
        spec: values.length
          ? vegaLite('Image size, uncompressed (MB)', {
              data: { values },
              mark: 'bar',
              encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { field: 'mb', type: 'quantitative', title: 'MB', stack: 'zero' }, color: { field: 'part', type: 'nominal', title: null }, order: { field: 'part', sort: 'descending' } },
            })
          : null,
      },
    ];
  },
  series: ({ image }) => [{ metric: 'size', unit: 'bytes', higherIsBetter: false, samples: [image.imageBytes], exact: true }],
  figureNames: ['image-bytes'],
  figure(name, { image }) {
    if (name !== 'image-bytes') return `no figure "${name}"`;
    return { samples: [{ value: image.imageBytes, pairKey: 'image' }], unit: 'bytes', detail: `uncompressed, ${image.base.origin} base ${image.base.ref}`, lowerBound: false, pairable: false, exact: true };
  },
  fromV1: (old) => (old.image ? { image: old.image as ImageInfo } : undefined),
};

export const imageSizeScenario: Scenario<ImageResult> = {
  name: 'image-size',
  description: 'Uncompressed size of the target image, split into base image and app layers.',
  requires: ['/json'],
  runtimes: ['docker'],
  schedule: 'once',
  kind: imageKind,
  // Sizing an image that does not serve correctly would compare broken images.
  verify: verifyJson,
  plannedSeconds: () => 0,

  async run(targets, ctx) {
    const image = ctx.runtime.image?.bind(ctx.runtime);
    if (!image) throw new Error(`the ${ctx.runtime.name} runtime builds no images`);
    for (const t of targets) {
      const info = await image(t.target);
      ctx.save(t.target.decl.name, { image: info });
      ctx.progress.info(`${t.target.decl.name}: ${fmtMB(info.imageBytes)} uncompressed: base ${fmtMB(info.baseBytes)} (${info.base.origin} ${info.base.ref}) + app ${fmtMB(info.appBytes)}`);
    }
  },
};
