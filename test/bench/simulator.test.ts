import { BEFORE, type ConfigVariant, configVariants } from '../../bench/config-variants';
import { figuresOf, linePasses } from '../../bench/report';
import { localSectionOf, withLocalSection } from '../../bench/run';
import { buildTrace, SCENARIOS, type ScenarioSpec, scenarioNamed } from '../../bench/scenarios';
import { type SimResult, STRATEGIES, type StrategyName, simulate } from '../../bench/simulator';
import { MAX_WAITING_TICKETS } from '../../functions/adapters/slot-item';
import { loadConfig } from '../../lib/config';

const config = loadConfig();
const queueWait30 = configVariants().find((x) => x.name === 'queue-wait 30 min') as ConfigVariant;
const capacity = (config.quota.activeDmlQueries as number) - config.quota.headroom;

/** Simulations are deterministic, so tests share them: one run per (scenario, seed, strategy, variant). */
const memo = new Map<string, SimResult>();

/** A strategy with the default config, or athena-wlm as a named config variant. */
function run(
  spec: ScenarioSpec,
  seed: number,
  strategy: StrategyName = 'athena-wlm',
  variant?: ConfigVariant,
): SimResult {
  const key = [spec.name, seed, strategy, variant?.name ?? 'defaults'].join('|');
  let result = memo.get(key);
  if (!result) {
    result = simulate(strategy, buildTrace(spec, seed), {
      config: variant?.config ?? config,
      seed,
      horizonSeconds: spec.horizonSeconds,
      admission: variant?.admission,
    });
    memo.set(key, result);
  }
  return result;
}

const variantNamed = (name: string): ConfigVariant => {
  const v = configVariants().find((x) => x.name === name);
  if (!v) throw new Error(`no config variant '${name}'`);
  return v;
};

/** The line makes athena-wlm runs slower (every look reads every ticket): room for a slow CI machine. */
const SLOW_MS = 180_000;

describe('bench simulator', () => {
  it(
    'gives the same figures for the same seed, and other figures for another seed',
    () => {
      const spec = scenarioNamed('exploratory-burst');
      const fresh = (strategy: StrategyName, seed: number, admission?: 'line' | 'no-line') =>
        figuresOf(
          simulate(strategy, buildTrace(spec, seed), {
            config,
            seed,
            horizonSeconds: spec.horizonSeconds,
            admission,
          }),
        );
      const parse = Date.parse;
      for (const strategy of STRATEGIES) expect(fresh(strategy, 7)).toEqual(fresh(strategy, 7));
      expect(fresh('athena-wlm', 7, 'no-line')).toEqual(fresh('athena-wlm', 7, 'no-line'));
      // The memoized Date.parse is the real one again once a simulation is over.
      expect(Date.parse).toBe(parse);
      expect(buildTrace(spec, 7)).toEqual(buildTrace(spec, 7));
      expect(fresh('reference-sample', 8)).not.toEqual(fresh('reference-sample', 7));
    },
    SLOW_MS,
  );

  it('feeds every strategy the same trace', () => {
    const spec = scenarioNamed('overload');
    const arrivals = (r: SimResult) => r.queries.map((q) => [q.id, q.className, q.arrivedAt]).sort();
    const [first, ...rest] = STRATEGIES.map((s) => arrivals(run(spec, 3, s)));
    for (const other of rest) expect(other).toEqual(first);
  });

  it(
    'keeps each class first come, first served: no query takes a slot an older waiting one of its class needed',
    () => {
      // With the line, a newer query may start before an older one that is backing off only when its class
      // has room for both (admitInLine's rule); the older then gets in at its very next look. So strict start
      // order is not FIFO (`passes`), but an older waiting query is never refused again once a newer one of
      // its class got in (`costly`). With one class nothing else can take that room: exactly zero.
      const lineVariants = configVariants().filter((v) => v.admission === 'line');
      const steady = scenarioNamed('steady-etl');
      let passes = 0;
      for (const seed of [1, 2, 3, 42]) {
        for (const v of lineVariants) {
          const result = run(steady, seed, 'athena-wlm', v);
          const line = linePasses(result.queries);
          expect(line.costly).toBe(0);
          passes += line.passes;
          expect(result.queries.filter((q) => q.lineSince !== undefined).length).toBeGreaterThan(50);
        }
      }
      expect(passes).toBeGreaterThan(0); // the room-for-both case does happen, and costs nobody a look

      // With several classes another class may borrow the room before the older query looks again (the
      // line is per class): rare, and at least 20x fewer than without the line, where newcomers take
      // free slots from under older waiting queries all the time.
      const pairs: [ConfigVariant, ConfigVariant][] = [
        [variantNamed('defaults'), variantNamed('defaults, no line')],
        [variantNamed('old defaults + line'), variantNamed(BEFORE)],
      ];
      for (const spec of SCENARIOS) {
        for (const [withLine, without] of pairs) {
          const lined = run(spec, 42, 'athena-wlm', withLine);
          const unlined = linePasses(run(spec, 42, 'athena-wlm', without).queries);
          expect(unlined.costly).toBeGreaterThan(20);
          expect(linePasses(lined.queries).costly * 20).toBeLessThanOrEqual(unlined.costly);
          expect(lined.peakWaitingTickets).toBeLessThanOrEqual(MAX_WAITING_TICKETS);
        }
      }
    },
    SLOW_MS,
  );

  it(
    "ends a first attempt FAILED (QueueWaitExceeded) once it waited past its class's maxQueueWaitMinutes",
    () => {
      const spec = scenarioNamed('exploratory-burst');
      const result = run(spec, 42, 'athena-wlm', queueWait30);
      const expired = result.queries.filter((q) => q.failureCode === 'QueueWaitExceeded');
      expect(expired.length).toBeGreaterThan(0);
      for (const q of expired) {
        expect(q.startedAt).toBeUndefined();
        expect((q.finishedAt as number) - q.arrivedAt).toBeGreaterThan(30 * 60);
        // It gave up on its next look: at most one slot wait (20 s) after passing the limit.
        expect((q.finishedAt as number) - q.arrivedAt).toBeLessThanOrEqual(30 * 60 + 20);
      }
      // Nothing that started waited past the limit; with the default 180 min, nothing in the burst expires.
      for (const q of result.queries) {
        if (q.admittedAt !== undefined)
          expect(q.admittedAt - q.arrivedAt).toBeLessThanOrEqual(30 * 60 + 0.001);
      }
      expect(figuresOf(run(spec, 42)).queueWaitExceeded).toBe(0);
    },
    SLOW_MS,
  );

  it(
    'never lets athena-wlm pass the quota minus headroom with its own traffic',
    () => {
      for (const spec of SCENARIOS) {
        for (const seed of [1, 42]) {
          const result = run(spec, seed);
          expect(result.capacity).toBe(capacity);
          expect(result.peakOwnConcurrent).toBeLessThanOrEqual(capacity);
          expect(result.peakSlotsHeld).toBeLessThanOrEqual(capacity);
          for (const [name, peak] of Object.entries(result.peakSlotsByClass)) {
            expect(peak).toBeLessThanOrEqual(config.classes[name].maxSlots);
          }
          // Without outside traffic nothing athena-wlm starts is ever throttled.
          if (spec.outside.length === 0) expect(result.throttledAttempts).toBe(0);
        }
        // Every variant too (the old defaults with and without the line, a short queue-wait limit).
        for (const v of configVariants()) {
          const result = run(spec, 42, 'athena-wlm', v);
          expect(result.peakOwnConcurrent).toBeLessThanOrEqual(capacity);
          expect(result.peakSlotsHeld).toBeLessThanOrEqual(capacity);
          for (const [name, peak] of Object.entries(result.peakSlotsByClass)) {
            expect(peak).toBeLessThanOrEqual(v.config.classes[name].maxSlots);
          }
          if (spec.outside.length === 0) expect(result.throttledAttempts).toBe(0);
        }
      }
    },
    SLOW_MS,
  );

  it(
    'never has more queries active in Athena than the quota, whatever the strategy',
    () => {
      for (const spec of SCENARIOS) {
        for (const strategy of STRATEGIES) {
          expect(run(spec, 42, strategy).peakTotalConcurrent).toBeLessThanOrEqual(20);
        }
      }
    },
    SLOW_MS,
  );

  it(
    'conserves queries: every arrival ends completed, failed or still pending, none vanish',
    () => {
      for (const spec of SCENARIOS) {
        const trace = buildTrace(spec, 5);
        // A short horizon too, so that some are cut off mid-flight.
        const full = spec.name === 'exploratory-burst' || spec.name === 'overload';
        for (const horizon of full ? [spec.horizonSeconds, 20 * 60] : [20 * 60]) {
          const runs = [
            ...STRATEGIES.map((strategy) => ({ strategy, config })),
            // Queries that give up in line (QueueWaitExceeded) must be accounted for too.
            { strategy: 'athena-wlm' as const, config: queueWait30.config },
          ];
          for (const { strategy, config } of runs) {
            const result = simulate(strategy, trace, { config, seed: 5, horizonSeconds: horizon });
            // Arrivals after the horizon were never submitted; every one before it must be accounted for.
            const submitted = trace.arrivals.filter((a) => a.at <= horizon);
            const ids = result.queries.map((q) => q.id).sort((a, b) => a - b);
            expect(ids).toEqual(submitted.map((a) => a.id));
            const byStatus = (...statuses: string[]) =>
              result.queries.filter((q) => statuses.includes(q.status)).length;
            const completed = byStatus('completed');
            const failed = byStatus('failed');
            const pending = byStatus('queued', 'waiting-for-slot', 'starting', 'deferred', 'running');
            expect(completed + failed + pending).toBe(submitted.length);
            if (horizon < spec.horizonSeconds) expect(pending).toBeGreaterThan(0);
            const f = figuresOf(result);
            expect([f.completed, f.failed, f.unfinished]).toEqual([completed, failed, pending]);
            const inconsistent = result.queries.filter(
              (q) =>
                (q.status === 'completed' &&
                  (q.startedAt === undefined ||
                    q.finishedAt === undefined ||
                    q.finishedAt < q.startedAt ||
                    q.finishedAt > horizon)) ||
                (q.startedAt !== undefined && q.startedAt < q.arrivedAt) ||
                q.throttled !== q.startAttempts - (q.startedAt === undefined ? 0 : 1),
            );
            expect(inconsistent).toEqual([]);
            const throttled = result.queries.reduce((n, q) => n + q.throttled, 0);
            expect(throttled).toBe(result.throttledAttempts);
            expect(result.queries.filter((q) => q.status === 'failed' && !q.failureCode)).toEqual([]);
            // Slots are held only by admitted queries not yet done (starting or running), and only under admission.
            const holding = result.queries.filter((q) => q.holdsSlot);
            expect(holding.filter((q) => q.status !== 'starting' && q.status !== 'running')).toEqual([]);
            if (strategy !== 'athena-wlm') expect(holding).toEqual([]);
            if (horizon === spec.horizonSeconds) expect(holding).toEqual([]);
            // The reference sample retries forever: it never gives a query up.
            if (strategy === 'reference-sample') expect(f.failed).toBe(0);
          }
        }
      }
    },
    SLOW_MS,
  );

  it(
    'shows the retry storm of the reference sample and none under athena-wlm in the case-study burst',
    () => {
      const spec = scenarioNamed('exploratory-burst');
      const reference = figuresOf(run(spec, 42, 'reference-sample'));
      const wlm = figuresOf(run(spec, 42, 'athena-wlm'));
      expect(reference.throttledAttempts).toBeGreaterThan(1000);
      expect(wlm.throttledAttempts).toBe(0);
      expect(wlm.completed).toBe(wlm.arrivals);
    },
    SLOW_MS,
  );

  it('keeps the local pipeline section of RESULTS.md when the simulator rewrites the rest', () => {
    const section =
      '<!-- local-pipeline:start -->\n## Local pipeline\n\n42 queries/s\n<!-- local-pipeline:end -->';
    const doc = `# results\n\nold tables\n\n${section}\n`;
    expect(localSectionOf(doc)).toBe(section);
    expect(localSectionOf(undefined)).toContain('Not run yet');
    const updated = withLocalSection(doc, section.replace('42', '43'));
    expect(updated).toBe(doc.replace('42', '43'));
    expect(withLocalSection('# results\n', section)).toBe(`# results\n\n${section}\n`);
  });
});
