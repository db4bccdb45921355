// `bench clean`: removes every container and image the harness made (found by its labels), and
// nothing else. Base images are kept unless --bases is given: they are slow to rebuild.
import { requireEngine } from '../../docker/engine.ts';
import { isKind, labelFilter } from '../../docker/labels.ts';
import { parseFlags } from '../args.ts';

export const cleanHelp = `Usage: npm run bench -- clean [--bases]

Removes the containers and target images the harness made (by their bench.harness label).
--bases also removes the local base images built by \`images\` (and pulled official ones stay).`;

const DEBIAN_IMAGE = 'localhost/bench-local/debian:trixie-slim';

export async function cleanCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('clean', argv, { bases: { type: 'boolean' } });
  if (values.help) {
    console.log(cleanHelp);
    return 0;
  }
  const { docker } = await requireEngine();
  const containers = await docker.listContainers({ all: true, filters: labelFilter() });
  for (const c of containers) {
    await docker.getContainer(c.Id).remove({ force: true });
    console.log(`removed container ${c.Id.slice(0, 12)} (${c.Image})`);
  }
  const kinds = values.bases ? (['target', 'base'] as const) : (['target'] as const);
  let images = 0;
  const all = await docker.listImages({ all: true, filters: labelFilter() });
  for (const kind of kinds) {
    for (const image of all.filter((i) => isKind(i.Labels, kind))) {
      try {
        await docker.getImage(image.Id).remove({ force: true });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) continue; // went with its child
        throw error;
      }
      console.log(`removed ${kind} image ${(image.RepoTags ?? [image.Id.slice(0, 19)]).join(', ')}`);
      images++;
    }
  }
  if (values.bases) {
    try {
      await docker.getImage(DEBIAN_IMAGE).remove({ force: true });
      console.log(`removed base image ${DEBIAN_IMAGE}`);
      images++;
    } catch {
      // not there
    }
  }
  console.log(`${containers.length} container(s) and ${images} image(s) removed.`);
  return 0;
}
