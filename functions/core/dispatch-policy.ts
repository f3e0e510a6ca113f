/**
 * Which waiting queries start now: the one decision of the dispatcher, as a pure function of the slots
 * held, each class's line (oldest first) and the policy. Work-conserving (no slot stays idle while a
 * query the policy would admit waits), guarantees first, idle guarantees lent only where the lender gets
 * its slot back within its `maxReclaimSeconds`, weighted fair sharing above guarantees (Trino's
 * `weighted_fair`), first come first served within a class.
 */

/** The slot limits and sharing rules of one workload class, in slots and seconds. */
export interface ClassPolicy {
  readonly guaranteedSlots: number;
  readonly maxSlots: number;
  /** Share of the capacity above guarantees relative to other classes (>= 1). */
  readonly weight: number;
  /** A query of the class on a borrowed slot may be stopped and run again when a lender needs the slot. */
  readonly preemptible: boolean;
  /** Longest a query of the class holds its slot, in seconds: its `timeoutMinutes` and the time to stop it. */
  readonly holdSeconds: number;
  /** Longest the class waits to get back a guaranteed slot it lent while idle, in seconds. */
  readonly maxReclaimSeconds: number;
}

/** What the dispatcher may use: quota minus headroom, and each class's rules. */
export interface DispatchPolicy {
  readonly capacity: number;
  readonly classes: Readonly<Record<string, ClassPolicy>>;
}

/** A query holding a slot. */
export interface RunningQuery {
  readonly queryId: string;
  readonly className: string;
  /** When it was given its slot, in epoch ms (the youngest is pre-empted first: the least work lost). */
  readonly admittedAtMs: number;
}

/** A query waiting in its class's line. */
export interface WaitingQuery {
  readonly queryId: string;
  readonly className: string;
  /** Its place in line: the line is ordered by submission. */
  readonly submittedAtMs: number;
}

export type WaitFactor = 'class-cap' | 'capacity' | 'guarantees' | 'reclaim' | 'rate' | 'unknown-class';

/** Why the head of a class's line still waits after a pass, in words a user understands. */
export interface WaitReason {
  readonly factor: WaitFactor;
  readonly message: string;
}

export interface DispatchPlan<W extends WaitingQuery> {
  /** Queries to start, in order. */
  readonly admit: readonly W[];
  /** Running queries to stop and put back first in their line, so that a lender gets its slot back. */
  readonly preempt: readonly RunningQuery[];
  /** Waiting queries of classes the policy no longer has. */
  readonly reject: readonly W[];
  /** Why each class that still has waiting queries waits. */
  readonly waiting: Readonly<Record<string, WaitReason>>;
}

export interface PlanOptions {
  /** Most queries to start in this pass (the StartQueryExecution rate left). @default no limit */
  readonly maxStarts?: number;
  /** Running queries not to pre-empt (their stop was refused: they already ended). @default none */
  readonly protect?: ReadonlySet<string>;
}

/**
 * Plans one pass. `lines` holds, per class, the first waiting queries in line order; the plan never
 * admits a query while an older one of its class waits. Admission rules, at every free slot:
 *
 * 1. A class below its guarantee is served first (the one whose reclaim deadline comes first). If no
 *    slot is free, a query of a preemptible class running above its own guarantee is pre-empted for it.
 * 2. Otherwise a free slot goes to the class with the fewest running queries above its guarantee per
 *    unit of `weight`, if it may use it:
 * 3. a class that may borrow (preemptible, or whose queries end within every guaranteed class's
 *    `maxReclaimSeconds`) may use any free slot; the others share only the capacity nobody is guaranteed
 *    (capacity minus the sum of guarantees). So whenever a class is below its guarantee with no slot
 *    free, the slots it lacks are held by borrowers, each pre-empted or ending within its reclaim bound.
 *
 * Class caps (`maxSlots`) and the capacity always hold.
 */
export function planDispatch<W extends WaitingQuery>(
  policy: DispatchPolicy,
  running: readonly RunningQuery[],
  lines: Readonly<Record<string, readonly W[]>>,
  options: PlanOptions = {},
): DispatchPlan<W> {
  const classes = policy.classes;
  const used = usageOf(running);
  let total = running.length;
  const usedBy = (k: string) => used[k] ?? 0;
  const unused = (k: string) => Math.max(0, classes[k].guaranteedSlots - usedBy(k));
  const borrows = new Set(
    Object.keys(classes).filter(
      (k) =>
        classes[k].preemptible ||
        Object.entries(classes).every(
          ([l, c]) => l === k || c.guaranteedSlots === 0 || classes[k].holdSeconds <= c.maxReclaimSeconds,
        ),
    ),
  );
  const unguaranteed =
    policy.capacity - Object.values(classes).reduce((sum, c) => sum + c.guaranteedSlots, 0);
  /** Slots above their guarantees held by classes that may not borrow: they must fit in the unguaranteed part. */
  const heldAboveGuarantees = () =>
    Object.keys(classes).reduce(
      (sum, k) => sum + (borrows.has(k) ? 0 : Math.max(0, usedBy(k) - classes[k].guaranteedSlots)),
      0,
    );

  // Pre-emption candidates, youngest first per class.
  const victims = new Map<string, RunningQuery[]>();
  for (const r of running) {
    if (!classes[r.className]?.preemptible || options.protect?.has(r.queryId)) continue;
    const list = victims.get(r.className) ?? [];
    list.push(r);
    victims.set(r.className, list);
  }
  for (const list of victims.values()) list.sort((a, b) => b.admittedAtMs - a.admittedAtMs);

  const next: Record<string, number> = {};
  const head = (k: string): W | undefined => lines[k]?.[next[k] ?? 0];
  const admit: W[] = [];
  const preempt: RunningQuery[] = [];
  const reject: W[] = [];
  const waiting: Record<string, WaitReason> = {};
  const maxStarts = options.maxStarts ?? Number.POSITIVE_INFINITY;

  for (const [k, line] of Object.entries(lines)) {
    if (!classes[k] && line.length > 0) {
      reject.push(...line);
      waiting[k] = { factor: 'unknown-class', message: `'${k}' is no longer a workload class` };
    }
  }
  const take = (k: string) => {
    const query = head(k) as W;
    next[k] = (next[k] ?? 0) + 1;
    used[k] = usedBy(k) + 1;
    total++;
    admit.push(query);
  };
  /**
   * A query to pre-empt for `lender`: from the preemptible class furthest above its guarantee by weight.
   * With `take` false, only says whether there is one.
   */
  const victimFor = (lender: string, take = true): RunningQuery | undefined => {
    let best: string | undefined;
    let bestExcess = 0;
    for (const [k, list] of victims) {
      if (k === lender || list.length === 0 || !classes[k]) continue;
      const excess = (usedBy(k) - classes[k].guaranteedSlots) / classes[k].weight;
      if (excess > 0 && (best === undefined || excess > bestExcess)) {
        best = k;
        bestExcess = excess;
      }
    }
    if (best === undefined) return undefined;
    const list = victims.get(best) as RunningQuery[];
    return take ? list.shift() : list[0];
  };

  for (;;) {
    const candidates = Object.keys(classes).filter((k) => head(k) && !waiting[k]);
    if (candidates.length === 0) break;
    // The start rate holds back only what the policy would start now: others keep their real reason.
    const rateLeft = admit.length < maxStarts;
    const open = candidates.filter((k) => {
      if (usedBy(k) < classes[k].maxSlots) return true;
      waiting[k] = capReason(k, classes[k].maxSlots);
      return false;
    });
    if (open.length === 0) continue;
    const free = policy.capacity - total;

    const below = open.filter((k) => usedBy(k) < classes[k].guaranteedSlots);
    if (below.length > 0) {
      const k = earliest(below, (c) => (head(c) as W).submittedAtMs + classes[c].maxReclaimSeconds * 1000);
      if (!rateLeft && (free > 0 || victimFor(k, false))) {
        waiting[k] = rateReason();
        continue;
      }
      if (free > 0) {
        take(k);
        continue;
      }
      const victim = victimFor(k);
      if (victim) {
        preempt.push(victim);
        used[victim.className]--;
        total--;
        take(k);
        continue;
      }
      waiting[k] = reclaimReason(k, classes[k]);
      continue;
    }

    if (free <= 0) {
      for (const k of open) waiting[k] = capacityReason(policy.capacity, used);
      break;
    }
    const byShare = [...open].sort(
      (a, b) =>
        (usedBy(a) - classes[a].guaranteedSlots) / classes[a].weight -
          (usedBy(b) - classes[b].guaranteedSlots) / classes[b].weight ||
        (head(a) as W).submittedAtMs - (head(b) as W).submittedAtMs ||
        a.localeCompare(b),
    );
    const chosen = byShare.find((k) => borrows.has(k) || heldAboveGuarantees() < unguaranteed);
    if (!chosen) {
      for (const k of open) waiting[k] = guaranteesReason(k, classes, unused);
      break;
    }
    if (!rateLeft) {
      waiting[chosen] = rateReason();
      continue;
    }
    take(chosen);
  }
  return { admit, preempt, reject, waiting };
}

/** The class whose key is smallest (ties: the name), for a deterministic plan. */
function earliest(names: readonly string[], key: (name: string) => number): string {
  return names.reduce((best, k) => (key(k) < key(best) || (key(k) === key(best) && k < best) ? k : best));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function capReason(k: string, max: number): WaitReason {
  return {
    factor: 'class-cap',
    message: `${k} is at its cap of ${plural(max, 'running query', 'running queries')}`,
  };
}

function capacityReason(capacity: number, used: Readonly<Record<string, number>>): WaitReason {
  const byClass = Object.entries(used)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return {
    factor: 'capacity',
    message: `all ${plural(capacity, 'slot', 'slots')} athena-wlm may use are busy (${byClass})`,
  };
}

function reclaimReason(k: string, c: ClassPolicy): WaitReason {
  return {
    factor: 'reclaim',
    message:
      `${k} is below its guarantee of ${c.guaranteedSlots} and its idle slots were lent to other classes; ` +
      `they come back as those queries end (within its maxReclaimSeconds of ${c.maxReclaimSeconds})`,
  };
}

function guaranteesReason(
  k: string,
  classes: Readonly<Record<string, ClassPolicy>>,
  unused: (name: string) => number,
): WaitReason {
  const idle = Object.keys(classes)
    .filter((l) => l !== k && unused(l) > 0)
    .map((l) => `${l} ${unused(l)}`)
    .join(', ');
  const minutes = Math.ceil(classes[k].holdSeconds / 60);
  return {
    factor: 'guarantees',
    message:
      `the free slots are kept for other classes' guarantees (${idle}); ${k} is not preemptible and its ` +
      `queries may hold a slot ${minutes} min (its timeoutMinutes and the time to stop one), longer than those classes lend a slot for (maxReclaimSeconds)`,
  };
}

function rateReason(): WaitReason {
  return {
    factor: 'rate',
    message:
      "queries start at Athena's StartQueryExecution rate (admission.startsPerSecond); it starts within seconds",
  };
}

/** Slots held per class. */
export function usageOf(holders: readonly { readonly className: string }[]): Record<string, number> {
  const usage: Record<string, number> = {};
  for (const h of holders) usage[h.className] = (usage[h.className] ?? 0) + 1;
  return usage;
}
