// Builds an image through the engine's API from a tar context, with the build log kept (progress
// lines go to `log`) and, on failure, an error carrying the last lines of that log.
import type { Readable } from 'node:stream';
import { UserError } from '../errors.ts';
import type { Engine } from './engine.ts';

export interface BuildRequest {
  context: Readable;
  tag: string;
  buildargs?: Record<string, string>;
  labels: Record<string, string>;
  /** Shown in errors: what was being built. */
  what: string;
}

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export async function buildImage(engine: Engine, request: BuildRequest, log: (line: string) => void): Promise<string[]> {
  const lines: string[] = [];
  const keep = (text: string) => {
    for (const line of text.split('\n').map((l) => l.trimEnd()).filter(Boolean)) {
      lines.push(line);
      if (/^(\[\d+\/\d+\] )?(STEP|Step) \d+/.test(line) || /^COMMIT/.test(line)) log(line);
    }
  };
  let failure: string | null = null;
  try {
    const options: Record<string, unknown> = {
      t: request.tag,
      buildargs: request.buildargs,
      labels: request.labels,
      // Host networking: builds reach the package registries the way the host does.
      networkmode: 'host',
      rm: true,
      forcerm: true,
    };
    const stream: NodeJS.ReadableStream = await engine.docker.buildImage(request.context as unknown as NodeJS.ReadableStream, options);
    await new Promise<void>((resolve, reject) => {
      engine.docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: BuildEvent) => {
          if (event.stream) keep(event.stream);
          if (event.status) keep(event.status);
          if (event.error || event.errorDetail?.message) failure = event.errorDetail?.message ?? event.error ?? 'build failed';
        },
      );
    });
  } catch (error) {
    failure ??= (error as Error).message;
  }
  if (failure) {
    throw new UserError(
      `Building ${request.what} (${request.tag}) failed: ${String(failure).split('\n')[0]}.`,
      'Read the build log lines below; the registries (PyPI, npm, Debian) must be reachable from the build, which runs with host networking.',
      lines.slice(-30),
    );
  }
  return lines;
}

export async function imageExists(engine: Engine, ref: string): Promise<boolean> {
  try {
    await engine.docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}
