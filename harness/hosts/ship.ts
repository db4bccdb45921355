// Puts an image built on this machine's engine onto another host's, which may reach no registry:
// the image's tar (GET /images/{name}/get, as `docker save`) streamed straight into the other
// engine's load (POST /images/load, as `docker load`), with no file in between. Docker and Podman
// both take the other's tar. An image the host has already is not sent again: its tag carries the
// hash of its build context, so the same tag is the same image.
import { UserError } from '../errors.ts';
import { imageExists } from '../docker/build.ts';
import type { Engine } from '../docker/engine.ts';

interface LoadEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

export async function shipImage(from: Engine, to: Engine, tag: string, log: (line: string) => void): Promise<void> {
  if (await imageExists(to, tag)) return;
  const fix = `Check both engines (\`docker -H ${from.socket} image inspect ${tag}\`, \`docker -H ${to.socket} info\`) and the space for images on ${to.socket}; \`docker -H ${from.socket} save ${tag} | docker -H ${to.socket} load\` does the same by hand.`;
  const fail = (why: string) => new UserError(`Shipping the image ${tag} from the engine at ${from.socket} to the one at ${to.socket} failed: ${why}.`, fix);
  const started = performance.now();
  log(`shipping ${tag} from ${from.socket} to ${to.socket}`);

  let tarball: NodeJS.ReadableStream;
  try {
    tarball = await from.docker.getImage(tag).get();
  } catch (error) {
    throw fail(`${from.socket} did not give the image (${firstLine(error)})`);
  }
  let sourceError: Error | null = null;
  const loaded = new Promise<void>((resolve, reject) => {
    // A source that fails midway would otherwise leave the load waiting for the rest of the tar.
    tarball.once('error', (error: Error) => {
      sourceError = error;
      reject(fail(`reading the image from ${from.socket} broke off (${firstLine(error)})`));
    });
    to.docker
      .loadImage(tarball)
      .then((progress) => {
        let failure: string | null = null;
        to.docker.modem.followProgress(
          progress,
          (error: Error | null) => {
            if (error || failure) reject(fail(`${to.socket} did not load it (${failure ?? firstLine(error)})`));
            else resolve();
          },
          (event: LoadEvent) => {
            if (event.error || event.errorDetail?.message) failure = event.errorDetail?.message ?? event.error ?? 'load failed';
            const line = (event.stream ?? event.status ?? '').trim();
            if (line) log(line);
          },
        );
      })
      .catch((error: unknown) => reject(sourceError ? fail(`reading the image from ${from.socket} broke off (${firstLine(sourceError)})`) : fail(`${to.socket} did not load it (${firstLine(error)})`)));
  });
  await loaded;
  if (!(await imageExists(to, tag))) throw fail(`${to.socket} reported a load but has no image ${tag} afterwards`);
  log(`shipped ${tag} to ${to.socket} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
