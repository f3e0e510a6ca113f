import {
  boundedPareto,
  deriveSeed,
  exponential,
  mulberry32,
  type Random,
  uniform,
  uniformInt,
} from './random';

/** One query submitted to the managed path. */
export interface Arrival {
  readonly id: number;
  readonly className: string;
  /** Seconds since the start of the run. */
  readonly at: number;
  /** Seconds it runs once Athena accepts it (it holds one unit of the quota meanwhile). */
  readonly runtime: number;
}

/** A query from outside athena-wlm (console users, BI tools): it counts against the same quota. */
export interface OutsideQuery {
  readonly at: number;
  readonly runtime: number;
}

/** The same trace is given to every strategy. */
export interface Trace {
  readonly arrivals: readonly Arrival[];
  readonly outside: readonly OutsideQuery[];
}

/** Runtime model of a workload class. */
export interface RuntimeModel {
  readonly describe: string;
  readonly meanSeconds: number;
  draw(random: Random): number;
}

const uniformRuntime = (min: number, max: number): RuntimeModel => ({
  describe: `uniform ${min}-${max} s`,
  meanSeconds: (min + max) / 2,
  draw: (random) => uniform(random, min, max),
});

const paretoRuntime = (low: number, high: number, alpha: number): RuntimeModel => {
  const ratio = (low / high) ** alpha;
  const mean =
    (low ** alpha / (1 - ratio)) * (alpha / (alpha - 1)) * (low ** (1 - alpha) - high ** (1 - alpha));
  return {
    describe: `bounded Pareto ${low}-${high} s, alpha ${alpha} (mean ${Math.round(mean)} s)`,
    meanSeconds: mean,
    draw: (random) => boundedPareto(random, low, high, alpha),
  };
};

/** Per-class runtimes (the case study's five workgroups) and console users' queries. */
export const RUNTIMES: Readonly<Record<string, RuntimeModel>> = {
  predictable: uniformRuntime(20, 90),
  fast: uniformRuntime(2, 10),
  long: uniformRuntime(300, 1200),
  exploratory: paretoRuntime(30, 600, 1.1),
  adhoc: uniformRuntime(5, 60),
  console: uniformRuntime(10, 120),
};

/** Poisson arrivals of jobs, each submitting `batch` queries at once (an ETL job fans out). */
export interface Stream {
  readonly className: string;
  readonly from: number;
  readonly to: number;
  /** Mean queries per second (jobs per second x mean batch size). */
  readonly queriesPerSecond: number;
  readonly batch?: readonly [number, number];
}

/** `count` queries at uniform random times in [at, at + within). */
export interface Burst {
  readonly className: string;
  readonly at: number;
  readonly within: number;
  readonly count: number;
}

/** Outside traffic that keeps `slots` of the quota busy on average during [from, to). */
export interface OutsideLevel {
  readonly from: number;
  readonly to: number;
  readonly slots: number;
}

export interface ScenarioSpec {
  readonly name: string;
  readonly description: string;
  /** The account's Active DML quota in this scenario. @default SCENARIO_QUOTA */
  readonly quota?: number;
  /** The simulation stops here; whatever has not finished by then is reported as unfinished. */
  readonly horizonSeconds: number;
  readonly streams: readonly Stream[];
  readonly bursts: readonly Burst[];
  readonly outside: readonly OutsideLevel[];
}

const MINUTE = 60;
const HOUR = 3600;

/** The quota the scenarios are sized for (the default config's Active DML quota). */
export const SCENARIO_QUOTA = 20;

/** ETL at `share` of the quota on average (Little's law), in jobs of 1 to 4 queries. */
function etl(share: number, from: number, to: number): Stream {
  return {
    className: 'predictable',
    from,
    to,
    queriesPerSecond: (share * SCENARIO_QUOTA) / RUNTIMES.predictable.meanSeconds,
    batch: [1, 4],
  };
}

const OVERLOAD_MIX: Readonly<Record<string, number>> = {
  predictable: 0.4,
  fast: 0.25,
  long: 0.05,
  exploratory: 0.2,
  adhoc: 0.1,
};

/** Queries per second the quota can serve with the overload mix (quota / mean runtime). */
export const OVERLOAD_SERVICE_RATE =
  SCENARIO_QUOTA /
  Object.entries(OVERLOAD_MIX).reduce((sum, [name, share]) => sum + share * RUNTIMES[name].meanSeconds, 0);

/** The scale scenario's quota: five times the largest default quota the reference sample lists. */
export const SCALE_QUOTA = 1000;
/** Queries of the scale scenario, all submitted within its first ten minutes. */
export const SCALE_QUERIES = 100_000;

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    name: 'steady-etl',
    description: 'Predictable ETL at ~50% of the quota for 60 min (Poisson jobs of 1-4 queries).',
    horizonSeconds: 6 * HOUR,
    streams: [etl(0.5, 0, 60 * MINUTE)],
    bursts: [],
    outside: [],
  },
  {
    name: 'exploratory-burst',
    description:
      'The case study: ETL at ~50% for 60 min, and 200 exploratory queries from data scientists within 5 min (at minute 15).',
    horizonSeconds: 6 * HOUR,
    streams: [etl(0.5, 0, 60 * MINUTE)],
    bursts: [{ className: 'exploratory', at: 15 * MINUTE, within: 5 * MINUTE, count: 200 }],
    outside: [],
  },
  {
    name: 'outside-traffic',
    description:
      'ETL at ~50% plus 1 exploratory query a minute for 60 min; console users hold 2, then 6, 10, 3 slots on average (minutes 0-10-25-40-60).',
    horizonSeconds: 6 * HOUR,
    streams: [
      etl(0.5, 0, 60 * MINUTE),
      { className: 'exploratory', from: 0, to: 60 * MINUTE, queriesPerSecond: 1 / MINUTE },
    ],
    bursts: [],
    outside: [
      { from: 0, to: 10 * MINUTE, slots: 2 },
      { from: 10 * MINUTE, to: 25 * MINUTE, slots: 6 },
      { from: 25 * MINUTE, to: 40 * MINUTE, slots: 10 },
      { from: 40 * MINUTE, to: 60 * MINUTE, slots: 3 },
    ],
  },
  {
    name: 'overload',
    description: `A mix of all classes (${Object.entries(OVERLOAD_MIX)
      .map(([n, s]) => `${n} ${Math.round(s * 100)}%`)
      .join(', ')}) at 2x what the quota can serve for 10 min, then quiet.`,
    horizonSeconds: 6 * HOUR,
    streams: Object.entries(OVERLOAD_MIX).map(([className, share]) => ({
      className,
      from: 0,
      to: 10 * MINUTE,
      queriesPerSecond: 2 * OVERLOAD_SERVICE_RATE * share,
    })),
    bursts: [],
    outside: [],
  },
  {
    name: 'scale-1000',
    description: `${SCALE_QUERIES.toLocaleString('en-US')} queries of the overload mix within 10 min at a quota of ${SCALE_QUOTA}: a line of tens of thousands, drained at Athena's StartQueryExecution rate.`,
    quota: SCALE_QUOTA,
    horizonSeconds: 6 * HOUR,
    streams: Object.entries(OVERLOAD_MIX).map(([className, share]) => ({
      className,
      from: 0,
      to: 10 * MINUTE,
      queriesPerSecond: (SCALE_QUERIES / (10 * MINUTE)) * share,
    })),
    bursts: [],
    outside: [],
  },
];

export function scenarioNamed(name: string): ScenarioSpec {
  const spec = SCENARIOS.find((s) => s.name === name);
  if (!spec) throw new Error(`no scenario '${name}' (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  return spec;
}

/** Draws the scenario's arrivals and outside traffic from `seed`: same seed, same trace. */
export function buildTrace(spec: ScenarioSpec, seed: number): Trace {
  const random = mulberry32(deriveSeed(seed, 'trace', spec.name));
  const drafts: { className: string; at: number; runtime: number }[] = [];
  for (const stream of spec.streams) {
    const [minBatch, maxBatch] = stream.batch ?? [1, 1];
    const jobsPerSecond = stream.queriesPerSecond / ((minBatch + maxBatch) / 2);
    let t = stream.from + exponential(random, jobsPerSecond);
    while (t < stream.to) {
      const size = uniformInt(random, minBatch, maxBatch);
      for (let i = 0; i < size; i++) {
        drafts.push({ className: stream.className, at: t, runtime: RUNTIMES[stream.className].draw(random) });
      }
      t += exponential(random, jobsPerSecond);
    }
  }
  for (const burst of spec.bursts) {
    for (let i = 0; i < burst.count; i++) {
      drafts.push({
        className: burst.className,
        at: burst.at + random() * burst.within,
        runtime: RUNTIMES[burst.className].draw(random),
      });
    }
  }
  // Stable order: by time, then by the order drawn (Array.prototype.sort is stable).
  drafts.sort((a, b) => a.at - b.at);
  const arrivals = drafts.map((d, id) => ({ id, ...d }));

  const outside: OutsideQuery[] = [];
  for (const level of spec.outside) {
    if (level.slots <= 0) continue;
    const rate = level.slots / RUNTIMES.console.meanSeconds;
    let t = level.from + exponential(random, rate);
    while (t < level.to) {
      outside.push({ at: t, runtime: RUNTIMES.console.draw(random) });
      t += exponential(random, rate);
    }
  }
  outside.sort((a, b) => a.at - b.at);
  return { arrivals, outside };
}
