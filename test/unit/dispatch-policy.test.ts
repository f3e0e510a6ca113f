import fc from 'fast-check';
import {
  type ClassPolicy,
  type DispatchPolicy,
  planDispatch,
  type RunningQuery,
  type WaitingQuery,
} from '../../functions/core/dispatch-policy';
import { StartRate } from '../../functions/core/start-rate';

const cls = (over: Partial<ClassPolicy>): ClassPolicy => ({
  guaranteedSlots: 0,
  maxSlots: 10,
  weight: 1,
  preemptible: false,
  holdSeconds: 1800,
  maxReclaimSeconds: 0,
  ...over,
});

const running = (className: string, n: number, from = 0): RunningQuery[] =>
  Array.from({ length: n }, (_, i) => ({ queryId: `${className}-r${from + i}`, className, admittedAtMs: i }));
const line = (className: string, n: number, from = 0): WaitingQuery[] =>
  Array.from({ length: n }, (_, i) => ({
    queryId: `${className}-w${from + i}`,
    className,
    submittedAtMs: 1000 + from + i,
  }));

describe('planDispatch', () => {
  const policy: DispatchPolicy = {
    capacity: 10,
    classes: {
      etl: cls({ guaranteedSlots: 6, maxSlots: 10, weight: 4, maxReclaimSeconds: 300 }),
      fast: cls({ guaranteedSlots: 1, maxSlots: 4, holdSeconds: 300, maxReclaimSeconds: 300 }),
      science: cls({ guaranteedSlots: 0, maxSlots: 8, preemptible: true }),
      adhoc: cls({ maxSlots: 1, preemptible: true }),
    },
  };

  it('fills every free slot when queries wait (idle guarantees lent to a preemptible class)', () => {
    const plan = planDispatch(policy, [], { science: line('science', 20) });

    expect(plan.admit.map((q) => q.queryId)).toEqual(line('science', 8).map((q) => q.queryId));
    expect(plan.waiting.science.factor).toBe('class-cap');
  });

  it('pre-empts the youngest borrower when a class below its guarantee needs its slot back', () => {
    const plan = planDispatch(policy, [...running('science', 8), ...running('fast', 2)], {
      etl: line('etl', 3),
    });

    expect(plan.admit.map((q) => q.queryId)).toEqual(['etl-w0', 'etl-w1', 'etl-w2']);
    expect(plan.preempt.map((q) => q.queryId)).toEqual(['science-r7', 'science-r6', 'science-r5']);
  });

  it('lends an idle guarantee to a class that ends within the lender’s reclaim bound, not to one that does not', () => {
    const strict: DispatchPolicy = {
      capacity: 4,
      classes: {
        etl: cls({ guaranteedSlots: 3, maxReclaimSeconds: 300 }),
        fast: cls({ holdSeconds: 300 }),
        long: cls({ holdSeconds: 3600 }),
      },
    };
    const plan = planDispatch(strict, [], { fast: line('fast', 2), long: line('long', 3) });

    // One slot is nobody's guarantee (4 - 3): long may use it; etl's idle three are lent only to fast.
    expect(plan.admit.filter((q) => q.className === 'fast')).toHaveLength(2);
    expect(plan.admit.filter((q) => q.className === 'long')).toHaveLength(1);
    expect(plan.waiting.long.factor).toBe('guarantees');
    expect(plan.waiting.long.message).toContain('etl 3');
  });

  it('shares the capacity above guarantees by weight', () => {
    const weighted: DispatchPolicy = {
      capacity: 10,
      classes: { a: cls({ weight: 3 }), b: cls({ weight: 1 }) },
    };
    const plan = planDispatch(weighted, [], { a: line('a', 20), b: line('b', 20) });

    expect(plan.admit.filter((q) => q.className === 'a').length).toBeGreaterThanOrEqual(7);
    expect(plan.admit.filter((q) => q.className === 'b').length).toBeGreaterThanOrEqual(2);
    expect(plan.admit).toHaveLength(10);
  });

  it('starts no more than maxStarts and says the rest wait for the start rate', () => {
    const plan = planDispatch(policy, [], { science: line('science', 5) }, { maxStarts: 2 });

    expect(plan.admit).toHaveLength(2);
    expect(plan.waiting.science.factor).toBe('rate');
  });

  it('says the start rate holds back only the classes it would start; the others keep their real reason', () => {
    const plan = planDispatch(
      policy,
      running('adhoc', 1),
      { science: line('science', 3), adhoc: line('adhoc', 2) },
      { maxStarts: 1 },
    );

    expect(plan.admit).toHaveLength(1);
    expect(plan.waiting.adhoc.factor).toBe('class-cap');
    expect(plan.waiting.science.factor).toBe('rate');
  });

  it('rejects the line of a class the policy no longer has', () => {
    const plan = planDispatch(policy, [], { gone: line('gone', 2) });

    expect(plan.reject.map((q) => q.queryId)).toEqual(['gone-w0', 'gone-w1']);
    expect(plan.admit).toHaveLength(0);
  });

  it('says a lender waits for its lent slots when nothing can be pre-empted', () => {
    const plan = planDispatch(policy, running('fast', 4).concat(running('etl', 6)), { etl: line('etl', 1) });

    // etl is at its guarantee: it waits for capacity, and fast is not preemptible.
    expect(plan.admit).toHaveLength(0);
    expect(plan.waiting.etl.factor).toBe('capacity');
  });
});

/** Random policies and states: the invariants hold for every plan. */
describe('planDispatch invariants', () => {
  const names = ['a', 'b', 'c', 'd'];
  const policyArb = fc
    .record({
      capacity: fc.integer({ min: 1, max: 30 }),
      classes: fc.tuple(
        ...names.map(() =>
          fc.record({
            guaranteed: fc.integer({ min: 0, max: 8 }),
            extra: fc.integer({ min: 0, max: 12 }),
            weight: fc.integer({ min: 1, max: 5 }),
            preemptible: fc.boolean(),
            holdSeconds: fc.constantFrom(60, 300, 1800, 3600),
            maxReclaimSeconds: fc.constantFrom(0, 300, 3600),
          }),
        ),
      ),
    })
    .map(({ capacity, classes }): DispatchPolicy => {
      let left = capacity;
      const out: Record<string, ClassPolicy> = {};
      classes.forEach((c, i) => {
        const guaranteedSlots = Math.min(c.guaranteed, left);
        left -= guaranteedSlots;
        out[names[i]] = {
          guaranteedSlots,
          maxSlots: Math.max(1, Math.min(capacity, guaranteedSlots + c.extra)),
          weight: c.weight,
          preemptible: c.preemptible,
          holdSeconds: c.holdSeconds,
          maxReclaimSeconds: c.maxReclaimSeconds,
        };
      });
      return { capacity, classes: out };
    });

  /**
   * A state: usually running within caps and capacity; sometimes above them (the live quota shrank, or
   * a config lowered a cap, while queries ran). Lines of random length, submission and admission times
   * spread across classes, and some running queries protected (re-runs are never pre-empted again).
   */
  const stateArb = policyArb.chain((policy) =>
    fc
      .record({
        running: fc.tuple(...names.map((n) => fc.integer({ min: 0, max: policy.classes[n].maxSlots + 3 }))),
        overCapacity: fc.boolean(),
        waiting: fc.tuple(...names.map(() => fc.integer({ min: 0, max: 15 }))),
        submittedFrom: fc.tuple(...names.map(() => fc.integer({ min: 0, max: 600_000 }))),
        admittedFrom: fc.tuple(...names.map(() => fc.integer({ min: 0, max: 600_000 }))),
        protectedShare: fc.constantFrom(0, 0.3, 1),
        maxStarts: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        seed: fc.integer(),
      })
      .map(
        ({
          running: r,
          overCapacity,
          waiting,
          submittedFrom,
          admittedFrom,
          protectedShare,
          maxStarts,
          seed,
        }) => {
          let left = overCapacity ? Number.POSITIVE_INFINITY : policy.capacity;
          const held: RunningQuery[] = [];
          names.forEach((n, i) => {
            const count = Math.min(overCapacity ? r[i] : Math.min(r[i], policy.classes[n].maxSlots), left);
            left -= count;
            held.push(
              ...running(n, count).map((q, k) => ({ ...q, admittedAtMs: admittedFrom[i] + k * 997 })),
            );
          });
          const lines = Object.fromEntries(
            names.map((n, i) => [
              n,
              line(n, waiting[i]).map((q, k) => ({ ...q, submittedAtMs: submittedFrom[i] + k * 1009 })),
            ]),
          );
          const protect = new Set(
            held.filter((_, k) => ((seed + k * 7919) % 100) / 100 < protectedShare).map((q) => q.queryId),
          );
          return { policy, held, lines, maxStarts, protect };
        },
      ),
  );

  const countAfter = (held: readonly RunningQuery[], plan: ReturnType<typeof planDispatch>) => {
    const counts: Record<string, number> = {};
    for (const r of held) counts[r.className] = (counts[r.className] ?? 0) + 1;
    for (const r of plan.preempt) counts[r.className]--;
    for (const q of plan.admit) counts[q.className] = (counts[q.className] ?? 0) + 1;
    return counts;
  };

  it('never starts a query that puts its class above its cap or the total above capacity', () => {
    fc.assert(
      fc.property(stateArb, ({ policy, held, lines, maxStarts, protect }) => {
        const plan = planDispatch(policy, held, lines, { maxStarts, protect });
        const counts = countAfter(held, plan);
        const total = Object.values(counts).reduce((s, n) => s + n, 0);
        // Above capacity already (a smaller quota), a start may only take a pre-empted query's place.
        if (plan.admit.length > 0) expect(total).toBeLessThanOrEqual(Math.max(policy.capacity, held.length));
        for (const n of names) {
          if (plan.admit.some((q) => q.className === n)) {
            expect(counts[n]).toBeLessThanOrEqual(policy.classes[n].maxSlots);
          }
        }
        if (maxStarts !== undefined) expect(plan.admit.length).toBeLessThanOrEqual(maxStarts);
      }),
    );
  });

  it('never pre-empts a protected query', () => {
    fc.assert(
      fc.property(stateArb, ({ policy, held, lines, protect }) => {
        const plan = planDispatch(policy, held, lines, { protect });
        for (const victim of plan.preempt) expect(protect.has(victim.queryId)).toBe(false);
      }),
    );
  });

  it('serves a class in order, first come first served', () => {
    fc.assert(
      fc.property(stateArb, ({ policy, held, lines, maxStarts }) => {
        const plan = planDispatch(policy, held, lines, { maxStarts });
        for (const n of names) {
          const admitted = plan.admit.filter((q) => q.className === n).map((q) => q.queryId);
          expect(admitted).toEqual(lines[n].slice(0, admitted.length).map((q) => q.queryId));
        }
      }),
    );
  });

  it('leaves no slot idle while a query the policy would admit waits', () => {
    fc.assert(
      fc.property(stateArb, ({ policy, held, lines }) => {
        const plan = planDispatch(policy, held, lines);
        const counts = countAfter(held, plan);
        const total = Object.values(counts).reduce((s, n) => s + n, 0);
        const free = policy.capacity - total;
        const unguaranteed =
          policy.capacity - names.reduce((s, n) => s + policy.classes[n].guaranteedSlots, 0);
        const mayBorrow = (n: string) =>
          policy.classes[n].preemptible ||
          names.every(
            (l) =>
              l === n ||
              policy.classes[l].guaranteedSlots === 0 ||
              policy.classes[n].holdSeconds <= policy.classes[l].maxReclaimSeconds,
          );
        const heldAbove = names
          .filter((n) => !mayBorrow(n))
          .reduce((s, n) => s + Math.max(0, (counts[n] ?? 0) - policy.classes[n].guaranteedSlots), 0);
        for (const n of names) {
          const admitted = plan.admit.filter((q) => q.className === n).length;
          if (admitted >= lines[n].length) continue;
          const c = policy.classes[n];
          const mine = counts[n] ?? 0;
          if (mine >= c.maxSlots || free <= 0) continue;
          // A waiting class with a free slot: it must be one the lending rule keeps off guaranteed slots.
          const belowGuarantee = mine < c.guaranteedSlots;
          expect(belowGuarantee || mayBorrow(n) || heldAbove < unguaranteed).toBe(false);
        }
      }),
    );
  });

  it('never passes over a class below its guarantee for one above', () => {
    fc.assert(
      fc.property(stateArb, ({ policy, held, lines }) => {
        const plan = planDispatch(policy, held, lines);
        // Replay the admissions: whenever a class at or above its guarantee was admitted, no class below
        // its guarantee still waited with a slot free or a borrower to pre-empt.
        const counts: Record<string, number> = {};
        for (const r of held) counts[r.className] = (counts[r.className] ?? 0) + 1;
        let preempted = 0;
        const taken: Record<string, number> = {};
        for (const q of plan.admit) {
          const below = (n: string) => (counts[n] ?? 0) < policy.classes[n].guaranteedSlots;
          if (!below(q.className)) {
            const starved = names.filter(
              (n) => n !== q.className && below(n) && (taken[n] ?? 0) < lines[n].length,
            );
            expect(starved).toEqual([]);
          } else if (
            Object.values(counts).reduce((s, n) => s + n, 0) >= policy.capacity &&
            preempted < plan.preempt.length
          ) {
            counts[plan.preempt[preempted].className]--;
            preempted++;
          }
          counts[q.className] = (counts[q.className] ?? 0) + 1;
          taken[q.className] = (taken[q.className] ?? 0) + 1;
        }
      }),
    );
  });

  it('pre-empts only preemptible queries of classes above their guarantee', () => {
    fc.assert(
      fc.property(stateArb, ({ policy, held, lines }) => {
        const plan = planDispatch(policy, held, lines);
        const counts: Record<string, number> = {};
        for (const r of held) counts[r.className] = (counts[r.className] ?? 0) + 1;
        for (const victim of plan.preempt) {
          expect(policy.classes[victim.className].preemptible).toBe(true);
          expect(counts[victim.className]).toBeGreaterThan(policy.classes[victim.className].guaranteedSlots);
          counts[victim.className]--;
        }
        expect(new Set(plan.preempt.map((v) => v.queryId)).size).toBe(plan.preempt.length);
      }),
    );
  });
});

describe('StartRate', () => {
  it('allows at most perSecond starts in any one second', () => {
    const rate = new StartRate(3);
    rate.take(0, 2);
    rate.take(400);
    expect(rate.available(999)).toBe(0);
    expect(rate.msUntilNext(999)).toBe(1);
    expect(rate.available(1000)).toBe(2);
    expect(rate.available(1400)).toBe(3);
  });
});
