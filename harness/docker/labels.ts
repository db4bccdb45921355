// Labels on everything the harness makes, so that `bench clean` removes exactly that.
export const LABEL_HARNESS = 'bench.harness';
export const HARNESS_ID = 'django-vs-node';
export const LABEL_KIND = 'bench.kind'; // base | target | container
/** The target an image is of, without a version: one image serves every name of the same build (node and node@24). */
export const LABEL_TARGET = 'bench.target';
/** The version an image was built as (its tag says it too): an offered release, or git-<commit>. */
export const LABEL_VERSION = 'bench.version';
export const LABEL_COMMIT = 'bench.commit';
export const LABEL_CONTEXT = 'bench.context-hash';

export function labels(kind: 'base' | 'target' | 'container', extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_HARNESS]: HARNESS_ID, [LABEL_KIND]: kind, ...extra };
}

/** The engine-side filter for everything the harness made. Kinds are told apart client-side with
 * `isKind`: Podman 4's compatibility API returns nothing for two label filters at once. */
export function labelFilter(): string {
  return JSON.stringify({ label: [`${LABEL_HARNESS}=${HARNESS_ID}`] });
}

export function isKind(itemLabels: Record<string, string> | null | undefined, kind: 'base' | 'target' | 'container'): boolean {
  return itemLabels?.[LABEL_HARNESS] === HARNESS_ID && itemLabels[LABEL_KIND] === kind;
}
