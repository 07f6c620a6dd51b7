import { createHash } from 'node:crypto';

/**
 * The indices of each label, labels in first-seen order — the strata or batch groups a trainer
 * spreads its data order over.
 *
 * @example
 * indicesByLabel(['no', 'yes', 'no']); // Map { 'no' => [0, 2], 'yes' => [1] }
 */
export function indicesByLabel(labels: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const members = groups.get(label);
    if (members) members.push(i);
    else groups.set(label, [i]);
  });
  return groups;
}

/**
 * A short digest of per-example labels, for a checkpoint's resume guard: other labels mean another
 * data order, which a resume must not mix with the saved one. Undefined when there are none.
 *
 * @example
 * labelsDigest(['no', 'yes']); // 12 hex digits
 */
export function labelsDigest(labels: readonly string[] | undefined): string | undefined {
  return labels ? createHash('sha256').update(labels.join('\n')).digest('hex').slice(0, 12) : undefined;
}

/**
 * A short digest of a trainer's data (examples, GRPO samples): each item as JSON, in order. A
 * resume compares it, so a run folder is not continued on other records (another type level,
 * target, data file or fraction) under weights and a data order made for the first ones.
 *
 * @example
 * dataDigest(examples); // 12 hex digits
 */
export function dataDigest(items: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const item of items) hash.update(`${JSON.stringify(item)}\n`);
  return hash.digest('hex').slice(0, 12);
}
