// Labels on everything the harness makes, so that `bench clean` removes exactly that.
export const LABEL_HARNESS = 'bench.harness';
export const HARNESS_ID = 'django-vs-node';
export const LABEL_KIND = 'bench.kind'; // base | target | container
export const LABEL_TARGET = 'bench.target';
export const LABEL_COMMIT = 'bench.commit';
export const LABEL_CONTEXT = 'bench.context-hash';

export function labels(kind: 'base' | 'target' | 'container', extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_HARNESS]: HARNESS_ID, [LABEL_KIND]: kind, ...extra };
}

/** The filter that finds what the harness made, of one kind or all. */
export function labelFilter(kind?: 'base' | 'target' | 'container'): string {
  return JSON.stringify({ label: [`${LABEL_HARNESS}=${HARNESS_ID}`, ...(kind ? [`${LABEL_KIND}=${kind}`] : [])] });
}
