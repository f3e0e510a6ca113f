import { figuresOf, peakPerSecond } from '../../bench/report';
import { localSectionOf, runScenario, targetsOf, withLocalSection } from '../../bench/run';
import {
  buildTrace,
  SCENARIO_QUOTA,
  type ScenarioSpec,
  scenarioNamed,
  type Trace,
} from '../../bench/scenarios';
import { AthenaApiRate, LATENCIES, meteredDispatchStore } from '../../bench/sim-aws';
import { PATHS, type SimResult, simulate, throttleRetrier, transitionsOf } from '../../bench/simulator';
import { VirtualClock } from '../../bench/virtual-clock';
import { loadConfig, parseConfig } from '../../contracts/config';
import { InMemoryDispatchStore } from '../../functions/adapters/memory/in-memory-dispatch-store';

const config = loadConfig();

/** A short slice of a scenario, so a test runs in a second or two. */
function slice(spec: ScenarioSpec, seconds: number, seed = 42): Trace {
  const trace = buildTrace(spec, seed);
  return {
    arrivals: trace.arrivals.filter((a) => a.at < seconds),
    outside: trace.outside.filter((o) => o.at < seconds),
  };
}

async function run(trace: Trace, strategy: 'athena-wlm' | 'retry-only' | 'reference-sample' = 'athena-wlm') {
  return simulate(strategy, trace, { config, quota: SCENARIO_QUOTA, seed: 7, horizonSeconds: 4 * 3600 });
}

describe('the virtual clock', () => {
  it('fires timers in time order, ties in the order they were set, and lets awaited code run between', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.at(20, () => seen.push('b'));
    clock.at(10, () => seen.push('a'));
    clock.at(20, () => seen.push('c'));
    void (async () => {
      await clock.sleep(15);
      seen.push(`slept to ${clock.nowMs}`);
    })();

    await clock.runUntil(100);

    expect(seen).toEqual(['a', 'slept to 15', 'b', 'c']);
  });
});

describe('what the simulator models of AWS', () => {
  it("refuses StartQueryExecution past Athena's API rate: 80 at once, then 20 a second", () => {
    const rate = new AthenaApiRate();
    const at = (ms: number, calls: number) => Array.from({ length: calls }, () => rate.take(ms));
    expect(at(0, 81).filter(Boolean)).toHaveLength(80);
    expect(at(500, 11).filter(Boolean)).toHaveLength(10);
    expect(at(1500, 25).filter(Boolean)).toHaveLength(20);
  });

  it('makes each dispatch-store call wait its latency and meters its request units by item size', async () => {
    const clock = new VirtualClock();
    const units = { reads: 0, writes: 0, calls: 0 };
    const store = meteredDispatchStore(new InMemoryDispatchStore(), clock, LATENCIES.typical, units);
    const done = (async () => {
      for (let i = 0; i < 20; i++) {
        await store.hold({ queryId: `q${i}`, className: 'c', acquiredAt: '2026-01-01T00:00:00.000Z' });
      }
      return store.holders();
    })();
    await clock.runUntil(10_000);
    expect(await done).toHaveLength(20);
    expect(clock.nowMs).toBe(10_000);
    // 20 writes of one unit; one Query of 20 holders of about 300 bytes: 2 units of 4 KB.
    expect(units).toEqual({ writes: 20, reads: 2, calls: 21 });
  });
});

describe('the simulator runs the shipped definition', () => {
  it("reads StartQuery's throttling retrier from run-query.asl.json as the config tunes it", () => {
    const tuned = parseConfig({
      ...config,
      throttleRetry: { ...config.throttleRetry, maxAttempts: 3, intervalSeconds: 5 },
    });
    expect(throttleRetrier(tuned)).toMatchObject({ maxAttempts: 3, intervalSeconds: 5 });
  });

  it('counts transitions on paths that exist in the definition, and refuses one that does not', () => {
    expect(transitionsOf(PATHS.succeeded)).toBe(PATHS.succeeded.length);
    expect(() => transitionsOf(['EnterLine', 'RecordSucceeded'])).toThrow(
      /no transition EnterLine -> RecordSucceeded/,
    );
  });
});

describe('athena-wlm in the simulator', () => {
  let burst: SimResult;
  const trace = slice(scenarioNamed('exploratory-burst'), 25 * 60);

  beforeAll(async () => {
    burst = await run(trace);
  }, 60_000);

  it('gives the same figures for the same seed', async () => {
    const again = await run(trace);
    expect(figuresOf(again, trace)).toEqual(figuresOf(burst, trace));
  }, 60_000);

  it('never lets its own queries pass capacity, so Athena never throttles them', () => {
    expect(burst.peakOwnConcurrent).toBeLessThanOrEqual(burst.capacity);
    expect(burst.throttledAttempts).toBe(0);
  });

  it('ends every query exactly once, pre-empted ones included', () => {
    expect(burst.preemptions).toBeGreaterThan(0);
    for (const q of burst.queries) expect(['completed', 'failed']).toContain(q.status);
    expect(burst.lost).toBe(0);
  });

  it('starts each class first come, first served (but for pre-empted queries, which run again first)', () => {
    for (const className of ['predictable', 'exploratory']) {
      const ofClass = burst.queries.filter((q) => q.className === className && q.preemptions === 0);
      const byStart = [...ofClass].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0) || a.id - b.id);
      const byArrival = [...ofClass].sort((a, b) => a.arrivedAt - b.arrivedAt || a.id - b.id);
      // Pre-empted queries go back to the front of the line, so the order of the others is kept.
      expect(byStart.map((q) => q.id)).toEqual(byArrival.map((q) => q.id));
    }
  });

  it('keeps ETL waiting far less than exploratory in the burst, where the reference sample makes both wait', async () => {
    const ref = figuresOf(await run(trace, 'reference-sample'), trace);
    const wlm = figuresOf(burst, trace);
    expect(wlm.waitP95Seconds.predictable).toBeLessThan(60);
    expect(ref.waitP95Seconds.predictable).toBeGreaterThan(wlm.waitP95Seconds.predictable * 5);
  }, 60_000);

  it("never calls StartQueryExecution faster than admission.startsPerSecond, so never past Athena's API rate", () => {
    const calls = burst.queries.flatMap((q) => q.startCalls);
    expect(peakPerSecond(calls)).toBeLessThanOrEqual(config.admission.startsPerSecond);
    expect(burst.rateLimitedAttempts).toBe(0);
  });
});

describe('bench figures and targets', () => {
  it('finds the most events in any one second', () => {
    expect(peakPerSecond([0, 500, 990, 1000, 1500, 3000])).toBe(3);
    expect(peakPerSecond([])).toBe(0);
  });

  it('writes the figures results.json needs and judges the targets from them', async () => {
    const spec: ScenarioSpec = { ...scenarioNamed('overload'), name: 'overload', horizonSeconds: 3 * 3600 };
    const figures = await runScenario(spec, config, 3);
    const targets = targetsOf(new Map([['overload', figures]]));

    for (const f of Object.values(figures)) {
      expect(f).toEqual(
        expect.objectContaining({
          makespanSeconds: expect.any(Number),
          boundSeconds: expect.any(Number),
          busySlotsWhileWaiting: expect.any(Number),
          capacity: 18,
          throttledStarts: expect.any(Number),
          lost: 0,
          unfinished: 0,
          lambdaRunsPerQuery: expect.any(Number),
          transitionsPerQuery: expect.any(Number),
        }),
      );
      expect(f.waitP95Seconds).toHaveProperty('all');
    }
    expect(targets.find((t) => t.goal.startsWith('busy slots'))).toMatchObject({ scenario: 'overload' });
    expect(targets.find((t) => t.goal === '0 lost')?.met).toBe(true);
  }, 120_000);

  it('keeps the local pipeline section of RESULTS.md when the simulator rewrites the rest', () => {
    const doc = 'head\n<!-- local-pipeline:start -->\nold\n<!-- local-pipeline:end -->\n';
    expect(localSectionOf(doc)).toBe('<!-- local-pipeline:start -->\nold\n<!-- local-pipeline:end -->');
    expect(
      withLocalSection(doc, '<!-- local-pipeline:start -->\nnew\n<!-- local-pipeline:end -->'),
    ).toContain('new');
  });
});
