import fc from 'fast-check';
import { type AdmissionPolicy, decideAdmission, usageOf } from '../../functions/core/admission';

const policy: AdmissionPolicy = {
  capacity: 10,
  classes: {
    predictable: { guaranteedSlots: 4, maxSlots: 8 },
    exploratory: { guaranteedSlots: 1, maxSlots: 4 },
    adhoc: { guaranteedSlots: 0, maxSlots: 2 },
  },
};

describe('decideAdmission', () => {
  it('admits a class below its guarantee even when others fill the rest', () => {
    const decision = decideAdmission(policy, { exploratory: 4, adhoc: 2 }, 'predictable');
    expect(decision.admitted).toBe(true);
  });

  it('refuses a class at its cap and says so', () => {
    const decision = decideAdmission(policy, { exploratory: 4 }, 'exploratory');
    expect(decision).toEqual({
      admitted: false,
      limitingFactor: 'class-cap',
      reason: 'exploratory is at its cap of 4 running queries',
    });
  });

  it("keeps another class's unused guarantee free instead of lending it", () => {
    // predictable holds 0 of its 4 guaranteed; 10 - 4 = 6 slots are borrowable: exploratory 4 + adhoc 2.
    const decision = decideAdmission(policy, { exploratory: 4, adhoc: 1 }, 'adhoc');
    expect(decision.admitted).toBe(true);
    const full = decideAdmission(
      { ...policy, classes: { ...policy.classes, adhoc: { guaranteedSlots: 0, maxSlots: 5 } } },
      { exploratory: 4, adhoc: 2 },
      'adhoc',
    );
    expect(full.admitted).toBe(false);
    expect(full.admitted === false && full.limitingFactor).toBe('capacity');
  });

  it('refuses an unknown class', () => {
    expect(decideAdmission(policy, {}, 'nope')).toMatchObject({
      admitted: false,
      limitingFactor: 'unknown-class',
    });
  });

  it('never passes capacity when the capacity shrank below the current use', () => {
    const shrunk = { ...policy, capacity: 3 };
    expect(decideAdmission(shrunk, { exploratory: 3 }, 'predictable').admitted).toBe(false);
  });

  it('counts holders per class', () => {
    expect(usageOf([{ className: 'a' }, { className: 'b' }, { className: 'a' }])).toEqual({ a: 2, b: 1 });
  });
});

describe('admission invariants under any interleaving of acquire and release', () => {
  const classNames = Object.keys(policy.classes);
  const step = fc.record({
    op: fc.constantFrom('acquire', 'acquire', 'release'),
    className: fc.constantFrom(...classNames),
  });
  const sum = (u: Record<string, number>) => Object.values(u).reduce((a, b) => a + b, 0);

  it('total <= capacity, each class <= its max, and a class below its guarantee is never refused', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const usage: Record<string, number> = {};
        for (const { op, className } of steps) {
          const mine = usage[className] ?? 0;
          if (op === 'release') {
            if (mine > 0) usage[className] = mine - 1;
            continue;
          }
          const decision = decideAdmission(policy, usage, className);
          if (mine < policy.classes[className].guaranteedSlots && !decision.admitted) return false;
          if (decision.admitted) usage[className] = mine + 1;
          if (sum(usage) > policy.capacity) return false;
          if ((usage[className] ?? 0) > policy.classes[className].maxSlots) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('holds for random policies whose guarantees fit the capacity', () => {
    const randomPolicy = fc
      .array(fc.record({ g: fc.nat({ max: 5 }), extra: fc.nat({ max: 5 }) }), { minLength: 1, maxLength: 5 })
      .chain((limits) => {
        const guaranteed = limits.reduce((s, l) => s + l.g, 0);
        return fc.record({
          limits: fc.constant(limits),
          capacity: fc.integer({ min: Math.max(1, guaranteed), max: guaranteed + 10 }),
        });
      });
    fc.assert(
      fc.property(
        randomPolicy,
        fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 150 }),
        (p, steps) => {
          const classes = Object.fromEntries(
            p.limits.map((l, i) => [
              `c${i}`,
              { guaranteedSlots: l.g, maxSlots: Math.min(p.capacity, l.g + l.extra) || 1 },
            ]),
          );
          const pol: AdmissionPolicy = { capacity: p.capacity, classes };
          const names = Object.keys(classes);
          const usage: Record<string, number> = {};
          for (const [acquire, n] of steps) {
            const name = names[n % names.length];
            const mine = usage[name] ?? 0;
            if (!acquire) {
              if (mine > 0) usage[name] = mine - 1;
              continue;
            }
            const decision = decideAdmission(pol, usage, name);
            if (mine < Math.min(classes[name].guaranteedSlots, classes[name].maxSlots) && !decision.admitted)
              return false;
            if (decision.admitted) usage[name] = mine + 1;
            if (sum(usage) > pol.capacity || (usage[name] ?? 0) > classes[name].maxSlots) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
