// The order of targets within a round: rotated by one every round, so that no target is always
// first (or always right after the same neighbour's load).
export function rotation<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = (round - 1) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
