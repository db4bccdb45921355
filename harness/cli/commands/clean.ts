// `bench clean`: removes every container and image the harness made (found by its labels), and
// nothing else, on this machine's engine or on the hosts named. Base images are kept unless
// --bases is given: they are slow to rebuild.
import type Docker from 'dockerode';
import { DEPLOY_HOST, PullHost } from '../../deploy/pull-host.ts';
import { requireEngine } from '../../docker/engine.ts';
import { isKind, labelFilter } from '../../docker/labels.ts';
import { parseHostAddress } from '../../hosts/address.ts';
import { connectHost } from '../../hosts/plan.ts';
import { connectOptions, HOST_FLAGS } from '../../hosts/run-hosts.ts';
import { parseFlags } from '../args.ts';

export const cleanHelp = `Usage: npm run bench -- clean [--bases] [--host ADDR ...]

Removes the containers and target images the harness made (by their bench.harness label), and the
deploy scenario's pulling host where a killed run left one (a network namespace, ${DEPLOY_HOST.dir}).
--bases also removes the local base images built by \`images\` (and pulled official ones stay).
--host ADDR cleans that engine instead of this machine's (ssh://, tcp://, unix://; repeat it for
several hosts), as --target-host takes it: with --ssh-key, --ssh-known-hosts, --insecure-engines.`;

const DEBIAN_IMAGE = 'localhost/bench-local/debian:trixie-slim';

export async function cleanCommand(argv: string[]): Promise<number> {
  const { 'target-host': _t, 'service-host': _s, 'loader-host': _l, ...connectFlags } = HOST_FLAGS;
  const { values } = parseFlags('clean', argv, { bases: { type: 'boolean' }, host: { type: 'string', multiple: true }, ...connectFlags });
  if (values.help) {
    console.log(cleanHelp);
    return 0;
  }
  const hosts = (values.host as string[] | undefined) ?? [];
  const connect = connectOptions(values as Parameters<typeof connectOptions>[0], {}, process.cwd());
  const engines = hosts.length
    ? await Promise.all(hosts.map(async (h) => ({ name: h, docker: (await connectHost(parseHostAddress(h, '--host'), 'target', connect)).docker })))
    : [{ name: 'this machine', docker: (await requireEngine()).docker }];
  for (const { name, docker } of engines) await cleanEngine(docker, Boolean(values.bases), hosts.length ? ` on ${name}` : '');
  if (!hosts.length && process.getuid?.() === 0 && (await PullHost.removeLeft())) console.log(`removed the deploy scenario's pulling host (${DEPLOY_HOST.prefix}h1, ${DEPLOY_HOST.dir}) that a run left`);
  return 0;
}

async function cleanEngine(docker: Docker, bases: boolean, where: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: labelFilter() });
  for (const c of containers) {
    await docker.getContainer(c.Id).remove({ force: true });
    console.log(`removed container ${c.Id.slice(0, 12)} (${c.Image})${where}`);
  }
  const kinds = bases ? (['target', 'base'] as const) : (['target'] as const);
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
      console.log(`removed ${kind} image ${(image.RepoTags ?? [image.Id.slice(0, 19)]).join(', ')}${where}`);
      images++;
    }
  }
  if (bases) {
    try {
      await docker.getImage(DEBIAN_IMAGE).remove({ force: true });
      console.log(`removed base image ${DEBIAN_IMAGE}${where}`);
      images++;
    } catch {
      // not there
    }
  }
  console.log(`${containers.length} container(s) and ${images} image(s) removed${where}.`);
}
