// A container registry as a service of the run (the deploy scenario of issue 22 pushes the targets'
// images to it and pulls them into an engine that lacks them): Debian's docker-registry package in a
// container, empty at every start, removed at the end and by the reaper like any service. Container
// only: a registry is what engines pull from, and only the docker runtime has an engine.
import type { ServiceDeclaration, ServiceEndpoint } from '../types.ts';

/** Where engines other than this machine's must reach it: every address of this machine. */
const LISTEN_ANY = '0.0.0.0';

export const REGISTRY_CONFIG: ServiceDeclaration['config'] = [
  { setting: 'storage.filesystem.rootdirectory', value: '/var/lib/docker-registry', reason: "in the container's own file system: empty at every start and gone with the container, so no run pulls what another pushed" },
  { setting: 'auth', value: 'none', reason: "the package's config asks for an htpasswd file; the registry lives for one run and holds only the targets' images, which are public in this repository anyway" },
  { setting: 'http.addr', value: `${LISTEN_ANY}:<port>`, reason: "plain HTTP (engines pull with tlsVerify=false) on every address of its host: the engine that pulls runs in a network namespace or on another host, which loopback would not reach" },
  { setting: 'storage.delete.enabled', value: 'true', reason: 'lets the harness delete what it pushed' },
  { setting: 'log.level', value: 'warn', reason: "one line per request at the default (info) would fill the log kept for the run's report" },
];

const get = async (endpoint: ServiceEndpoint, path: string, timeoutMs = 2000): Promise<Response | null> => {
  try {
    return await fetch(`http://${endpoint.host}:${endpoint.port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return null;
  }
};

export const registryService: ServiceDeclaration = {
  name: 'registry',
  description: 'a container registry (distribution v2) that the deploy scenario pushes to and pulls from',
  config: REGISTRY_CONFIG,
  // The v2 API's base answers 200 with no authentication.
  ready: async (endpoint) => (await get(endpoint, '/v2/'))?.status === 200,
  // Engines pull from it; no target is handed it.
  scenarioOnly: true,
  env: () => ({}),
  docker: {
    dockerfile: 'docker/registry.Dockerfile',
    base: 'debian',
    env: (port, net) => ({ REGISTRY_HTTP_ADDR: `${net?.listen ?? LISTEN_ANY}:${port}` }),
    version: "Debian trixie's docker-registry package (distribution 2.8)",
  },
};

/** The repositories the registry holds (its catalog), or null when it does not answer. */
export async function registryCatalog(endpoint: ServiceEndpoint): Promise<string[] | null> {
  const r = await get(endpoint, '/v2/_catalog', 5000);
  if (!r || r.status !== 200) return null;
  return ((await r.json()) as { repositories?: string[] }).repositories ?? [];
}
