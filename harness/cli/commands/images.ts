// `bench images`: makes the base images ready: the official ones when a registry answers,
// otherwise local equivalents built from Debian (debootstrap) with Node.js and Deno from npm.
import { BASE_KEYS, ensureBase } from '../../docker/bases.ts';
import { requireEngine } from '../../docker/engine.ts';
import { parseFlags } from '../args.ts';

export const imagesHelp = `Usage: npm run bench -- images [--local]

Gets the base images the Dockerfiles build on: python:3.14-slim, node:24-slim, denoland/deno.
Where no registry can be reached, builds local equivalents from Debian trixie with debootstrap
(about a minute, needs root), trimmed like the slim images. --local builds the local ones even
where the official images could be pulled. Later runs reuse them.`;

export async function imagesCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('images', argv, { local: { type: 'boolean' } });
  if (values.help) {
    console.log(imagesHelp);
    return 0;
  }
  const engine = await requireEngine();
  for (const key of BASE_KEYS) {
    const base = await ensureBase(engine, key, (line) => console.error(`  ${line}`), { preferLocal: values.local });
    const size = (await engine.docker.getImage(base.ref).inspect()).Size;
    console.log(`${key.padEnd(7)} ${base.ref} (${base.origin}, ${(size / 1e6).toFixed(1)} MB uncompressed)`);
  }
  return 0;
}
