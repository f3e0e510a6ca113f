/** Slot limits of one workload class. */
export interface ClassLimits {
  readonly guaranteedSlots: number;
  readonly maxSlots: number;
}

/** What admission needs to know: the slots athena-wlm may use (quota minus headroom) and each class's limits. */
export interface AdmissionPolicy {
  readonly capacity: number;
  readonly classes: Readonly<Record<string, ClassLimits>>;
}

/** Slots in use per class. */
export type SlotUsage = Readonly<Record<string, number>>;

export type LimitingFactor = 'class-cap' | 'capacity' | 'unknown-class';

export type AdmissionDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly limitingFactor: LimitingFactor; readonly reason: string };

const used = (usage: SlotUsage, name: string) => usage[name] ?? 0;

/**
 * Decides whether one more query of `className` may start.
 *
 * Guarantees from below, caps from above, borrowing in between: a class may always use its guaranteed
 * slots; above that it borrows capacity nobody is guaranteed, up to its max. The invariant
 * sum(max(used, guaranteed)) <= capacity keeps every class's unused guarantee free for it, so a class
 * below its guarantee is never refused and the total never passes capacity.
 */
export function decideAdmission(
  policy: AdmissionPolicy,
  usage: SlotUsage,
  className: string,
): AdmissionDecision {
  const limits = policy.classes[className];
  if (!limits) {
    return {
      admitted: false,
      limitingFactor: 'unknown-class',
      reason: `'${className}' is not a workload class`,
    };
  }
  const mine = used(usage, className) + 1;
  if (mine > limits.maxSlots) {
    return {
      admitted: false,
      limitingFactor: 'class-cap',
      reason: `${className} is at its cap of ${limits.maxSlots} running ${plural(limits.maxSlots, 'query', 'queries')}`,
    };
  }
  const after = { ...usage, [className]: mine };
  const names = new Set([...Object.keys(policy.classes), ...Object.keys(usage)]);
  let total = 0;
  let reserved = 0;
  for (const name of names) {
    total += used(after, name);
    reserved += Math.max(used(after, name), policy.classes[name]?.guaranteedSlots ?? 0);
  }
  const withinGuarantee = mine <= limits.guaranteedSlots;
  if (total > policy.capacity || (!withinGuarantee && reserved > policy.capacity)) {
    const inUse = total - 1;
    const held =
      reserved - Math.max(mine, limits.guaranteedSlots) + Math.max(mine - 1, limits.guaranteedSlots);
    return {
      admitted: false,
      limitingFactor: 'capacity',
      reason:
        `all ${policy.capacity} slots are in use or guaranteed to other classes ` +
        `(${inUse} running, ${Math.max(0, held - inUse)} kept free for guarantees); ` +
        `${className} is above its guarantee of ${limits.guaranteedSlots}`,
    };
  }
  return { admitted: true };
}

/** Counts slot holders per class. */
export function usageOf(holders: readonly { readonly className: string }[]): Record<string, number> {
  const usage: Record<string, number> = {};
  for (const h of holders) usage[h.className] = (usage[h.className] ?? 0) + 1;
  return usage;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
