import { figuresOf } from '../../bench/report';
import { buildTrace, SCENARIOS, type ScenarioSpec, scenarioNamed } from '../../bench/scenarios';
import { type SimResult, STRATEGIES, simulate } from '../../bench/simulator';
import { loadConfig } from '../../lib/config';

const config = loadConfig();
const capacity = (config.quota.activeDmlQueries as number) - config.quota.headroom;

const run = (
  spec: ScenarioSpec,
  seed: number,
  strategy = 'athena-wlm' as (typeof STRATEGIES)[number],
  horizon?: number,
) =>
  simulate(strategy, buildTrace(spec, seed), {
    config,
    seed,
    horizonSeconds: horizon ?? spec.horizonSeconds,
  });

describe('bench simulator', () => {
  it('gives the same figures for the same seed, and other figures for another seed', () => {
    const spec = scenarioNamed('exploratory-burst');
    for (const strategy of STRATEGIES) {
      expect(figuresOf(run(spec, 7, strategy))).toEqual(figuresOf(run(spec, 7, strategy)));
    }
    expect(buildTrace(spec, 7)).toEqual(buildTrace(spec, 7));
    expect(figuresOf(run(spec, 8, 'reference-sample'))).not.toEqual(
      figuresOf(run(spec, 7, 'reference-sample')),
    );
  });

  it('feeds every strategy the same trace', () => {
    const spec = scenarioNamed('overload');
    const arrivals = (r: SimResult) => r.queries.map((q) => [q.id, q.className, q.arrivedAt]).sort();
    const [first, ...rest] = STRATEGIES.map((s) => arrivals(run(spec, 3, s)));
    for (const other of rest) expect(other).toEqual(first);
  });

  it('never lets athena-wlm pass the quota minus headroom with its own traffic', () => {
    for (const spec of SCENARIOS) {
      for (const seed of [1, 2, 42]) {
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
    }
  });

  it('never has more queries active in Athena than the quota, whatever the strategy', () => {
    for (const spec of SCENARIOS) {
      for (const strategy of STRATEGIES) {
        expect(run(spec, 42, strategy).peakTotalConcurrent).toBeLessThanOrEqual(20);
      }
    }
  });

  it('conserves queries: every arrival ends completed, failed or still pending, none vanish', () => {
    for (const spec of SCENARIOS) {
      const trace = buildTrace(spec, 5);
      // A short horizon too, so that some are cut off mid-flight.
      const full = spec.name === 'exploratory-burst' || spec.name === 'overload';
      for (const horizon of full ? [spec.horizonSeconds, 20 * 60] : [20 * 60]) {
        for (const strategy of STRATEGIES) {
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
          // The reference sample retries forever: it never gives a query up.
          if (strategy === 'reference-sample') expect(f.failed).toBe(0);
        }
      }
    }
  });

  it('shows the retry storm of the reference sample and none under athena-wlm in the case-study burst', () => {
    const spec = scenarioNamed('exploratory-burst');
    const reference = figuresOf(run(spec, 42, 'reference-sample'));
    const wlm = figuresOf(run(spec, 42, 'athena-wlm'));
    expect(reference.throttledAttempts).toBeGreaterThan(1000);
    expect(wlm.throttledAttempts).toBe(0);
    expect(wlm.completed).toBe(wlm.arrivals);
  });
});
