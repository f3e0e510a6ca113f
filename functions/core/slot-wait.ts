/**
 * How long a query that found no slot waits before it is looked at again: doubling from the initial
 * wait with each receive, capped, with equal jitter so that waiting queries do not wake together.
 */
export function slotWaitSeconds(
  receiveCount: number,
  settings: { readonly initialWaitSeconds: number; readonly maxWaitSeconds: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(receiveCount - 1, 0), 30);
  const ceiling = Math.min(settings.maxWaitSeconds, settings.initialWaitSeconds * 2 ** exponent);
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}
