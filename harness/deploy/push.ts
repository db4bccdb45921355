// Pushes an image of this machine's engine to the run's registry (plain HTTP, so tlsVerify=false,
// which the Docker-compatible push honours on Podman; Docker treats a registry on 127.0.0.1 as
// insecure by default). The registry tag is removed again here: only the registry keeps the image.
import type { Engine } from '../docker/engine.ts';

/** `localhost/bench/node:24-abc` → `bench/node:24-abc`: the repository and tag it gets in the registry. */
export function registryPath(tag: string): string {
  const noHost = tag.replace(/^[^/]+\.[^/]*\/|^localhost\//, '');
  return noHost.includes(':') ? noHost : `${noHost}:latest`;
}

/** Pushes `tag` to the registry at 127.0.0.1:`port`; returns its path there (`bench/node:…`). */
export async function pushImage(engine: Engine, tag: string, port: number): Promise<string> {
  const at = registryPath(tag);
  const [repo, version] = [at.slice(0, at.lastIndexOf(':')), at.slice(at.lastIndexOf(':') + 1)];
  const pushed = `127.0.0.1:${port}/${at}`;
  await engine.docker.getImage(tag).tag({ repo: `127.0.0.1:${port}/${repo}`, tag: version });
  try {
    const progress = (await engine.docker.getImage(pushed).push({ tlsVerify: false } as never)) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) =>
      engine.docker.modem.followProgress(
        progress,
        (e: Error | null, events: { error?: string }[] = []) => {
          const failed = e?.message ?? events.find((x) => x.error)?.error;
          if (failed) reject(new Error(`push of ${tag} to the run's registry failed: ${failed}`));
          else resolve();
        },
      ),
    );
  } finally {
    await engine.docker.getImage(pushed).remove({ noprune: true }).catch(() => {});
  }
  return at;
}
