// Scenario `image-size`: the target's container image, uncompressed as the engine reports it
// (image inspect's Size), split into the base image's bytes and the bytes the Dockerfile adds.
// Compressed (registry) sizes are not compared: the article does not say which it quotes, and an
// uncompressed figure is what a machine pulling the image stores.
import type { RunningTarget, Scenario, ScenarioContext, ScenarioOutput } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

export const imageSizeScenario: Scenario = {
  name: 'image-size',
  description: 'Uncompressed size of the target image, split into base image and app layers.',
  requires: ['/json'],
  runtimes: ['docker'],

  // Sizing an image that does not serve correctly would compare broken images.
  verify: verifyJson,

  plannedSeconds(): number {
    return 0;
  },

  async run(_running: RunningTarget, ctx: ScenarioContext): Promise<ScenarioOutput> {
    if (!ctx.runtime.image) throw new Error(`the ${ctx.runtime.name} runtime builds no images`);
    const image = await ctx.runtime.image(ctx.target);
    ctx.progress.info(
      `${(image.imageBytes / 1e6).toFixed(1)} MB uncompressed: base ${(image.baseBytes / 1e6).toFixed(1)} MB (${image.base.origin} ${image.base.ref}) + app ${(image.appBytes / 1e6).toFixed(1)} MB`,
    );
    return { image };
  },
};
