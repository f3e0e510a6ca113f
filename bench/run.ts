/**
 * `npm run bench`: every scenario x strategy on the same seeded traces; prints the tables and writes
 * bench/RESULTS.md. Options: --seed N (default 42), --scenario NAME (repeatable), --no-write.
 * `npm run bench -- --local [--queries N]`: instead, drives the real local runtime end to end
 * (bench/local-pipeline.ts) and rewrites only the "Local pipeline" section of RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { admissionPolicy } from '../functions/core/admission-policy';
import { ticketTtlMs } from '../functions/core/slot-queue';
import { loadConfig, type WlmConfig } from '../lib/config';
import { BEFORE, beforeTheBenchmark, type ConfigVariant, configVariants } from './config-variants';
import { comparison, duration, type Figures, figuresOf, ratios, table, waits } from './report';
import {
  buildTrace,
  OVERLOAD_SERVICE_RATE,
  RUNTIMES,
  SCENARIOS,
  type ScenarioSpec,
  scenarioNamed,
  type Trace,
} from './scenarios';
import { STRATEGIES, type StrategyName, simulate } from './simulator';

export const DEFAULT_SEED = 42;
export const RESULTS_PATH = join(__dirname, 'RESULTS.md');

interface Args {
  readonly seed: number;
  readonly scenarios: readonly ScenarioSpec[];
  readonly write: boolean;
  readonly local: boolean;
  readonly queries?: number;
}

function parseArgs(argv: readonly string[]): Args {
  let seed = DEFAULT_SEED;
  const names: string[] = [];
  let write = true;
  let local = false;
  let queries: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seed') {
      seed = Number(argv[++i]);
      if (!Number.isInteger(seed)) throw new Error('--seed needs an integer');
    } else if (arg === '--scenario') {
      names.push(argv[++i] ?? '');
    } else if (arg === '--no-write') {
      write = false;
    } else if (arg === '--local') {
      local = true;
    } else if (arg === '--queries') {
      queries = Number(argv[++i]);
      if (!Number.isInteger(queries) || queries < 1) throw new Error('--queries needs a positive integer');
    } else {
      throw new Error(
        `unknown argument '${arg}' (use --seed N, --scenario NAME, --no-write, --local, --queries N)`,
      );
    }
  }
  return { seed, scenarios: names.length ? names.map(scenarioNamed) : SCENARIOS, write, local, queries };
}

/** athena-wlm as one config variant (the defaults with the line, or another) on one trace. */
export function runVariant(variant: ConfigVariant, spec: ScenarioSpec, trace: Trace, seed: number): Figures {
  return figuresOf(
    simulate('athena-wlm', trace, {
      config: variant.config,
      seed,
      horizonSeconds: spec.horizonSeconds,
      admission: variant.admission,
    }),
  );
}

/** The figures of one scenario on one seed: every strategy with the config, and athena-wlm before the benchmark. */
export interface ScenarioRun {
  readonly spec: ScenarioSpec;
  readonly trace: Trace;
  readonly byStrategy: Readonly<Record<StrategyName, Figures>>;
  readonly before: Figures;
}

export function runScenario(spec: ScenarioSpec, config: WlmConfig, seed: number): ScenarioRun {
  const trace = buildTrace(spec, seed);
  const byStrategy = Object.fromEntries(
    STRATEGIES.map((s) => [
      s,
      figuresOf(simulate(s, trace, { config, seed, horizonSeconds: spec.horizonSeconds })),
    ]),
  ) as Record<StrategyName, Figures>;
  return { spec, trace, byStrategy, before: runVariant(beforeTheBenchmark(), spec, trace, seed) };
}

/** One scenario's section: description, trace size, the table and the key ratios. */
export function scenarioSection(run: ScenarioRun): string {
  const { spec, trace } = run;
  const figures = STRATEGIES.map((s) => run.byStrategy[s]);
  const byClass = new Map<string, number>();
  for (const a of trace.arrivals) byClass.set(a.className, (byClass.get(a.className) ?? 0) + 1);
  const mix = [...byClass].map(([name, n]) => `${n} ${name}`).join(', ');
  return [
    `### ${spec.name}`,
    '',
    spec.description,
    '',
    `Trace: ${trace.arrivals.length} queries (${mix})` +
      (trace.outside.length ? `, ${trace.outside.length} console queries outside athena-wlm` : '') +
      `; horizon ${spec.horizonSeconds / 3600} h.`,
    '',
    table(figures),
    '',
    'Key ratios, reference sample -> athena-wlm:',
    '',
    ...ratios(figures).map((line) => `- ${line}`),
    '',
    `athena-wlm ${BEFORE} -> now (same trace): ${beforeAfter(run.before, run.byStrategy['athena-wlm']).join('; ')}.`,
    '',
  ].join('\n');
}

/** The figures that moved when the line and the new defaults came in. */
export function beforeAfter(before: Figures, after: Figures): string[] {
  const lines = [
    `ETL p95 wait ${comparison(before.predictableWait.p95, after.predictableWait.p95, duration)}`,
    `ETL max wait ${comparison(before.predictableWait.max, after.predictableWait.max, duration)}`,
  ];
  if (after.exploratoryWait.count > 0) {
    lines.push(
      `exploratory p95 wait ${comparison(before.exploratoryWait.p95, after.exploratoryWait.p95, duration)}`,
    );
  }
  lines.push(
    `all-class p95 wait ${comparison(before.allWait.p95, after.allWait.p95, duration)}`,
    `makespan ${comparison(before.makespan, after.makespan, duration)}`,
    `slot-wait looks ${comparison(before.slotWaitLooks, after.slotWaitLooks, count)}`,
    `lost or unfinished ${comparison(before.failed + before.unfinished, after.failed + after.unfinished, count)}`,
  );
  return lines;
}

/** How many seeds the spread section runs (the given seed and the ones after it). */
export const SPREAD_SEEDS = 10;

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Every scenario on SPREAD_SEEDS seeds from `seed` on: scenario name -> one run per seed. */
export type SpreadRuns = ReadonlyMap<string, readonly ScenarioRun[]>;

export function runSpread(specs: readonly ScenarioSpec[], config: WlmConfig, seed: number): SpreadRuns {
  const seeds = Array.from({ length: SPREAD_SEEDS }, (_, i) => seed + i);
  return new Map(specs.map((spec) => [spec.name, seeds.map((s) => runScenario(spec, config, s))]));
}

/** Median and range over seeds of the figures that swing most from one trace to the next. */
export function spreadSection(specs: readonly ScenarioSpec[], spreadRuns: SpreadRuns, seed: number): string {
  const seeds = Array.from({ length: SPREAD_SEEDS }, (_, i) => seed + i);
  const spread = (xs: readonly number[], format: (n: number) => string) =>
    `${format(median(xs))} [${format(Math.min(...xs))} - ${format(Math.max(...xs))}]`;
  const rows: string[] = [];
  for (const spec of specs) {
    const runs = spreadRuns.get(spec.name) ?? [];
    const columns: [string, Figures[]][] = [
      ...STRATEGIES.map((strategy): [string, Figures[]] => [
        `\`${strategy}\``,
        runs.map((r) => r.byStrategy[strategy]),
      ]),
      [`\`athena-wlm\` ${BEFORE}`, runs.map((r) => r.before)],
    ];
    for (const [label, fs] of columns) {
      const expl = fs.map((f) => f.exploratoryWait.p95).filter((x) => !Number.isNaN(x));
      rows.push(
        `| ${spec.name} | ${label} | ${spread(
          fs.map((f) => f.predictableWait.p95),
          duration,
        )} | ${expl.length ? spread(expl, duration) : 'n/a'} | ${spread(
          fs.map((f) => f.allWait.p95),
          duration,
        )} | ${spread(
          fs.map((f) => f.throttledAttempts),
          count,
        )} | ${spread(
          fs.map((f) => f.makespan),
          duration,
        )} | ${spread(
          fs.map((f) => f.failed + f.unfinished),
          count,
        )} |`,
      );
    }
  }
  return [
    `## Spread over ${SPREAD_SEEDS} seeds (${seeds[0]} to ${seeds[seeds.length - 1]})`,
    '',
    'Tail waits swing a lot from one trace to the next (a query either starts at once or waits out a',
    'redrive cycle), so one seed is not the whole story. Median [min - max] over seeds, default config;',
    `the last row of each scenario is athena-wlm ${BEFORE} (old defaults, no line):`,
    '',
    '| Scenario | Strategy | ETL wait p95 | Exploratory wait p95 | All classes wait p95 | Throttled starts | Makespan | Lost or unfinished |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

/** athena-wlm as every config variant on every scenario: variant name -> scenario name -> figures. */
export type VariantFigures = ReadonlyMap<string, ReadonlyMap<string, Figures>>;

export function runVariants(specs: readonly ScenarioSpec[], seed: number): VariantFigures {
  const byVariant = new Map<string, Map<string, Figures>>();
  for (const spec of specs) {
    const trace = buildTrace(spec, seed);
    for (const v of configVariants()) {
      const bySpec = byVariant.get(v.name) ?? new Map<string, Figures>();
      bySpec.set(spec.name, runVariant(v, spec, trace, seed));
      byVariant.set(v.name, bySpec);
    }
  }
  return byVariant;
}

/** athena-wlm against itself: before the benchmark, the line and the defaults apart, and a short bound. */
export function sensitivitySection(specs: readonly ScenarioSpec[], figures: VariantFigures): string {
  const variants = configVariants();
  const rows: string[] = [];
  for (const spec of specs) {
    for (const v of variants) {
      const f = figures.get(v.name)?.get(spec.name);
      if (!f) continue;
      const line = f.linePasses;
      rows.push(
        `| ${spec.name} | ${v.name} | ${waits(f.predictableWait)} | ${waits(f.exploratoryWait)} | ` +
          `${duration(f.makespan)} | ${f.peakSlotsByClass.predictable ?? 0} | ` +
          `${f.backloggedSeconds > 0 ? f.meanOwnActiveWhileBacklogged.toFixed(1) : '-'} | ` +
          `${count(f.slotWaitLooks)} | ${count(line.passes)} / ${count(line.costly)} | ` +
          `${f.throttledAttempts} | ${f.failed + f.unfinished} (${f.queueWaitExceeded}) |`,
      );
    }
  }
  return [
    '## Sensitivity: athena-wlm before and after the benchmark, and with other configs',
    '',
    'Same traces and seed. Only athena-wlm runs, as five variants:',
    '',
    ...variants.map((v) => `- \`${v.name}\`: ${v.change}`),
    '',
    '"Busy while waiting": mean of its own queries running while at least one waits to start (of 18 slots).',
    '"Passes / cost a look": a newer query admitted while an older one of its class waited in line, and of',
    'those, the ones after which the older query was refused again. "Lost (queue wait)": FAILED or',
    'unfinished, in brackets those ended by `maxQueueWaitMinutes`.',
    '',
    '| Scenario | Config | ETL wait p50 / p95 / max | Exploratory wait p50 / p95 / max | Makespan | Peak ETL slots | Busy while waiting | Slot-wait looks | Passes / cost a look | Throttled | Lost (queue wait) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

export function parameters(config: WlmConfig, seed: number): string {
  const quota = config.quota.activeDmlQueries;
  const classes = Object.entries(config.classes)
    .map(
      ([name, c]) =>
        `| ${name} | ${c.guaranteedSlots} | ${c.maxSlots} | ${c.maxQueueWaitMinutes} min | ${RUNTIMES[name]?.describe ?? '-'} |`,
    )
    .join('\n');
  const t = config.throttleRetry;
  const r = config.redrive;
  const a = config.admission;
  return [
    `Seed ${seed}. Config: the defaults (lib/config/defaults.ts) as parsed by \`loadConfig()\`.`,
    '',
    `- Quota (Active DML queries) ${quota}, headroom ${config.quota.headroom}: athena-wlm admits into ` +
      `${typeof quota === 'number' ? quota - config.quota.headroom : '?'} slots.`,
    `- Admission: a first-come line per class (\`admitInLine\`); a waiting ticket not renewed for ` +
      `${ticketTtlMs(a) / 1000} s (\`ticketTtlMs\`) is dropped.`,
    `- Throttle retry (StartQuery): ${t.intervalSeconds} s x${t.backoffRate}, max ${t.maxDelaySeconds} s, ` +
      `${t.maxAttempts} retries, full jitter; then deferred.`,
    `- Redrive every ${r.everyMinutes} min, at most ${r.maxMessagesPerRun} per run, ${r.maxRedrives} redrives, then FAILED.`,
    `- Slot wait (starter): ${a.initialWaitSeconds} s doubling to ${a.maxWaitSeconds} s, equal jitter; parked after ${a.maxReceives} receives.`,
    `- Reference sample: one StartQueryExecution per message; on error to the DLQ; the whole DLQ re-driven every 60 s, no jitter, no cap.`,
    `- Console users' queries: ${RUNTIMES.console.describe}; rejected when the quota is full (no retry).`,
    `- Overload service rate (quota / mean runtime of the mix): ${OVERLOAD_SERVICE_RATE.toFixed(3)} queries/s.`,
    '',
    '| Class | Guaranteed slots | Max slots | Max queue wait | Runtime model |',
    '|---|---:|---:|---:|---|',
    classes,
  ].join('\n');
}

/** What the tables say, in words; every figure quoted is computed from this run. */
export function findings(
  config: WlmConfig,
  seed: number,
  runs: readonly ScenarioRun[],
  variants: VariantFigures,
  spreadRuns: SpreadRuns,
): string {
  const policy = admissionPolicy(config);
  const oldPolicy = admissionPolicy(beforeTheBenchmark().config);
  /** Most slots a class can hold: its max, or capacity minus what the other classes are guaranteed. */
  const reach = (p: typeof policy, name: string) =>
    Math.min(
      p.classes[name]?.maxSlots ?? 0,
      p.capacity -
        Object.entries(p.classes)
          .filter(([other]) => other !== name)
          .reduce((sum, [, l]) => sum + l.guaranteedSlots, 0),
    );
  const seedRuns = [...spreadRuns.values()].flat();
  const seedsBetter = seedRuns.filter(
    (r) => r.byStrategy['athena-wlm'].predictableWait.p95 < r.before.predictableWait.p95,
  ).length;
  const ownThrottles = seedRuns
    .filter((r) => r.spec.outside.length === 0)
    .reduce((n, r) => n + r.byStrategy['athena-wlm'].throttledAttempts, 0);
  const lostOnSeeds = seedRuns.reduce(
    (n, r) => n + r.byStrategy['athena-wlm'].failed + r.byStrategy['athena-wlm'].unfinished,
    0,
  );
  const medianOf = (name: string, f: (r: ScenarioRun) => number) =>
    median((spreadRuns.get(name) ?? []).map(f));
  const guaranteed = Object.values(policy.classes).reduce((sum, c) => sum + c.guaranteedSlots, 0);
  const unreserved = policy.capacity - guaranteed;
  const etl = policy.classes.predictable;
  const expl = policy.classes.exploratory;
  const old = beforeTheBenchmark().config.classes;
  const run = (name: string) => runs.find((r) => r.spec.name === name);
  const variant = (v: string, scenario: string) => variants.get(v)?.get(scenario);
  const steady = run('steady-etl');
  const burst = run('exploratory-burst');
  const outside = run('outside-traffic');
  const overload = run('overload');
  if (!steady || !burst || !outside || !overload || !etl || !expl) {
    return '## What the numbers say\n\n(Run every scenario for the summary.)\n';
  }
  const now = (r: ScenarioRun) => r.byStrategy['athena-wlm'];
  const ref = (r: ScenarioRun) => r.byStrategy['reference-sample'];
  const retry = (r: ScenarioRun) => r.byStrategy['retry-only'];
  const d = (before: number, after: number) => comparison(before, after, duration);
  const c = (before: number, after: number) => comparison(before, after, count);
  const etlP95 = (r: ScenarioRun) =>
    `${r.spec.name} ${d(r.before.predictableWait.p95, now(r).predictableWait.p95)}`;
  const etlMax = (r: ScenarioRun) =>
    `${r.spec.name} ${d(r.before.predictableWait.max, now(r).predictableWait.max)}`;
  const all = [steady, burst, outside, overload];
  const longest = Math.max(...all.map((r) => now(r).allWait.max));
  const busy = (f: Figures) => f.meanOwnActiveWhileBacklogged.toFixed(1);
  const noLine = (name: string) => variant('defaults, no line', name);
  const lined = (name: string) => variant('defaults', name);
  const oldLine = variant('old defaults + line', 'steady-etl');
  const short = variant('queue-wait 30 min', 'exploratory-burst');
  const maxWithLine = all
    .map((r) => {
      const without = noLine(r.spec.name);
      const withLine = lined(r.spec.name);
      return without && withLine
        ? `${r.spec.name} ${d(without.predictableWait.max, withLine.predictableWait.max)}`
        : '';
    })
    .filter(Boolean)
    .join('; ');
  const p95WithLine = all
    .map((r) => {
      const without = noLine(r.spec.name);
      const withLine = lined(r.spec.name);
      return without && withLine
        ? `${r.spec.name} ${d(without.predictableWait.p95, withLine.predictableWait.p95)}`
        : '';
    })
    .filter(Boolean)
    .join('; ');
  const steadyNoLine = noLine('steady-etl');
  const burstNoLine = noLine('exploratory-burst');
  const unthrottled = all.filter((r) => r.spec.outside.length === 0);
  const lines = [
    '## What the numbers say',
    '',
    `"Before -> now" is athena-wlm as the first run of this benchmark found it (\`${BEFORE}\`: old`,
    'defaults, no line) against the product now (new defaults, the first-come line per class, the',
    `queue-wait limit), on the same traces: seed ${seed} unless a line says "seeds".`,
    '',
    '### What improved',
    '',
    `- ETL (predictable) waits, the point of the change. ETL p95 wait, before -> now: ${all.map(etlP95).join('; ')}.`,
    `  ETL max wait: ${all.map(etlMax).join('; ')}. In the case-study burst ETL is now hardly touched by the`,
    `  200 exploratory queries (p95 ${duration(now(burst).predictableWait.p95)}, against ` +
      `${duration(ref(burst).predictableWait.p95)} for the reference sample). Over the ${SPREAD_SEEDS} seeds of the spread table`,
    `  the ETL p95 is better than before in ${seedsBetter} of ${seedRuns.length} scenario-seeds; its median in the burst ` +
      `${d(
        medianOf('exploratory-burst', (r) => r.before.predictableWait.p95),
        medianOf('exploratory-burst', (r) => now(r).predictableWait.p95),
      )}.`,
    `- Most of it is the new defaults: ETL is guaranteed ${etl.guaranteedSlots} of the ${policy.capacity} slots and can hold ` +
      `${reach(policy, 'predictable')}, where it had ${old.predictable.guaranteedSlots} and could hold ${reach(oldPolicy, 'predictable')}. The sensitivity table takes the two`,
    `  changes apart: \`defaults, no line\` alone brings the steady-etl ETL p95 to ${duration(steadyNoLine?.predictableWait.p95 ?? Number.NaN)}.`,
    `- The line cuts the worst waits and stops newer queries from taking slots older ones wait for. With the new`,
    `  defaults, adding the line moves the worst ETL wait: ${maxWithLine}. Newer queries admitted while an`,
    `  older one of their class waited, and that cost the older one a look, in the burst: ` +
      `${count(burstNoLine?.linePasses.costly ?? Number.NaN)} without the line, ${count(now(burst).linePasses.costly)} with it.`,
    `- Still no throttled start from athena-wlm's own traffic: ${count(ownThrottles)} in ${unthrottled.map((r) => r.spec.name).join(', ')}`,
    `  over all ${SPREAD_SEEDS} seeds, against ${count(ref(burst).throttledAttempts)} for the reference sample in the burst. Step Functions`,
    `  transitions in the burst, retry-only -> athena-wlm: ${c(retry(burst).sfnTransitions, now(burst).sfnTransitions)}.`,
    `- Nothing is lost: the ${config.classes.predictable?.maxQueueWaitMinutes}-min queue-wait limit is never reached here (longest wait ` +
      `${duration(longest)}); lost or unfinished over all scenarios and seeds: ${count(lostOnSeeds)}.`,
    '',
    '### What still costs',
    '',
    `- Unlent guarantees leave slots idle. The guarantees sum to ${guaranteed} of the ${policy.capacity} slots, so a class above its`,
    `  guarantee can borrow only the ${unreserved} unreserved ones, and a guarantee nobody uses is never lent. Exploratory`,
    `  (guaranteed ${expl.guaranteedSlots}, max ${expl.maxSlots}, was ${old.exploratory.maxSlots}) drains the burst ${Math.min(expl.maxSlots, expl.guaranteedSlots + unreserved)} at a time, also after ETL stops at minute 60:`,
    `  while queries waited, athena-wlm kept ${busy(now(burst))} of its ${policy.capacity} slots busy on average (before ${busy(burst.before)};`,
    `  reference sample ${busy(ref(burst))} of ${ref(burst).quota}). Exploratory p95 wait in the burst, before -> now:`,
    `  ${d(burst.before.exploratoryWait.p95, now(burst).exploratoryWait.p95)}, reference sample ${duration(ref(burst).exploratoryWait.p95)};` +
      ` makespan ${d(burst.before.makespan, now(burst).makespan)}, reference sample ${duration(ref(burst).makespan)}.`,
    `  In overload the same: all-class p95 wait ${d(overload.before.allWait.p95, now(overload).allWait.p95)}, makespan ` +
      `${d(overload.before.makespan, now(overload).makespan)}, ${busy(now(overload))} slots busy while queries waited.`,
    `- The line holds a free slot for the head of the line until its next look (up to ${config.admission.maxWaitSeconds} s), so it trades`,
    `  some of the middle for the tail. ETL p95, without -> with the line: ${p95WithLine}.`,
    `  With the old ${beforeTheBenchmark().config.admission.maxWaitSeconds}-s slot wait the line alone made things much worse` +
      ` (\`old defaults + line\`, steady-etl: ETL p95 ${duration(oldLine?.predictableWait.p95 ?? Number.NaN)}, makespan ${duration(oldLine?.makespan ?? Number.NaN)}):`,
    '  the short slot wait is what makes the line work.',
    `- Short waits cost starter runs: slot-wait looks (each an SQS receive and a Lambda run), before -> now, burst`,
    `  ${c(burst.before.slotWaitLooks, now(burst).slotWaitLooks)}, overload ${c(overload.before.slotWaitLooks, now(overload).slotWaitLooks)};` +
      ` and the line's tickets take ${count(now(burst).slotItemWrites)} slot-item writes in the burst.`,
    '  Lambda, SQS and DynamoDB are not in the Step Functions cost row.',
    `- Against no admission at all, ETL still waits longer when the account is calm: steady-etl ETL p95`,
    `  ${duration(now(steady).predictableWait.p95)}, against ${duration(ref(steady).predictableWait.p95)} for the reference sample and ` +
      `${duration(retry(steady).predictableWait.p95)} for retry-only: a refused query is not woken when a slot frees.`,
    `- Outside traffic: ETL may now hold ${etl.maxSlots} slots and athena-wlm runs closer to quota - headroom (peak own`,
    `  ${now(outside).peakOwnConcurrent}, was ${outside.before.peakOwnConcurrent}); when console users take more than the headroom, athena-wlm's starts meet more throttles: ${c(outside.before.throttledAttempts, now(outside).throttledAttempts)}`,
    `  (the new defaults without the line: ${count(noLine('outside-traffic')?.throttledAttempts ?? Number.NaN)}; reference sample ` +
      `${count(ref(outside).throttledAttempts)}); console queries rejected ${c(outside.before.outsideRejected, now(outside).outsideRejected)}.`,
    `- Start order within a class is not strictly first come, first served: a newer query may start when its class`,
    '  has room for it and for every older waiting query (the older one gets in at its next look). Another class',
    `  can borrow that room first, which cost an older query a look ${count(now(burst).linePasses.costly)} times in the burst (none with one class).`,
    short
      ? `- A short queue-wait limit only turns waiting into failing: at 30 min, the burst ends ${count(short.queueWaitExceeded)} ` +
        `queries FAILED (QueueWaitExceeded) and its makespan falls to ${duration(short.makespan)}.`
      : '',
    '',
  ];
  return lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n');
}

export const ASSUMPTIONS = `## Modelling assumptions

- Athena is a counter: a start is accepted while running + queued queries (ours and outside traffic) are
  below the quota, else \`TooManyRequestsException\`. A query's runtime does not depend on how many run
  (no service-side queueing or shared-capacity slowdown); API-rate throttling is not modelled.
- SQS to Lambda, StartExecution, ledger writes and the \`.sync\` completion are instant: a slot is
  freed the moment Athena finishes (on AWS the \`.sync\` poll can hold it up to about a minute longer,
  which only lowers athena-wlm's throughput).
- athena-wlm's admission is the product's own code, called as the slot stores call it: the item's state,
  \`admitInLine(state, {queryId, class, submittedAt}, admissionPolicy(config), now, ticketTtlMs(config.admission))\`,
  the write \`planSlotWrite\` plans (a ticket renewed within half its TTL is not rewritten; at most
  500 tickets), applied with \`applySlotChanges\`; the state machine's ReleaseSlot removes the holder and
  leaves tickets alone. Before each look the starter's rule applies: a first attempt that waited longer
  than its class's \`maxQueueWaitMinutes\` ends FAILED (QueueWaitExceeded). Slot waits are
  \`slotWaitSeconds\` fed from the seeded PRNG. The starter is not woken when a slot frees: a refused
  query looks again after its backoff, and the line only stops newer queries of its class from taking
  the slot in the meantime. The simulated clock starts at 2026-01-01T00:00:00Z; queryIds are zero-padded
  arrival numbers, so a batch submitted in the same millisecond lines up in arrival order.
- The variant \`${BEFORE}\` is the old defaults with the plain \`decideAdmission\` the starter
  used before the line (any look may take a free slot of its class).
- Admission counts only athena-wlm's own slots; outside traffic is met by the throttle-retry path.
- The reference sample is modelled as designed, not with its bugs: every message of a batch is tried
  (the real consumer returns after the first of each batch of 10 and deletes the rest).
- Step Functions transitions are states entered in run-query.asl.json (7 for a clean run, +1 per
  throttle retry, 14 for a deferred execution); Lambda, SQS and DynamoDB costs are not counted (the
  slot-item writes row shows what the line adds to DynamoDB).
- Wait = arrival to the accepted start. A query that never started counts as an infinite wait in the
  percentiles ("never"). Lost = ended FAILED (past the redrive cap, parked, or past the queue-wait
  limit); unfinished = anything still pending or running at the horizon.
- The tables above are one seed; the spread section shows how far tail waits move between seeds.
`;

/** Markers of the section `--local` writes, kept as they are by the simulator run. */
export const LOCAL_START = '<!-- local-pipeline:start -->';
export const LOCAL_END = '<!-- local-pipeline:end -->';

const LOCAL_PLACEHOLDER = [
  LOCAL_START,
  '## Local pipeline',
  '',
  'Not run yet: `npm run bench -- --local`.',
  LOCAL_END,
].join('\n');

/** The "Local pipeline" section of a RESULTS.md, or a placeholder. */
export function localSectionOf(doc: string | undefined): string {
  const start = doc?.indexOf(LOCAL_START) ?? -1;
  const end = doc?.indexOf(LOCAL_END) ?? -1;
  if (!doc || start < 0 || end < start) return LOCAL_PLACEHOLDER;
  return doc.slice(start, end + LOCAL_END.length);
}

/** `doc` with its local pipeline section replaced by `section` (appended when it has none). */
export function withLocalSection(doc: string, section: string): string {
  const start = doc.indexOf(LOCAL_START);
  const end = doc.indexOf(LOCAL_END);
  if (start < 0 || end < start) return `${doc.trimEnd()}\n\n${section}\n`;
  return doc.slice(0, start) + section + doc.slice(end + LOCAL_END.length);
}

export function machineNotes(): string {
  const cpu = cpus();
  return (
    `Machine: ${platform()} ${release()} ${arch()}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}.`
  );
}

const readResults = () => (existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : undefined);

function simulatorMain(args: Args): void {
  const config = loadConfig();
  const started = Date.now();
  const runs = args.scenarios.map((spec) => runScenario(spec, config, args.seed));
  const sections = runs.map(scenarioSection);
  const spreadRuns = runSpread(args.scenarios, config, args.seed);
  const spread = spreadSection(args.scenarios, spreadRuns, args.seed);
  const variants = runVariants(args.scenarios, args.seed);
  const sensitivity = sensitivitySection(args.scenarios, variants);
  const elapsed = Date.now() - started;
  const command =
    args.seed === DEFAULT_SEED && args.scenarios === SCENARIOS
      ? 'npm run bench'
      : `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const doc = [
    '# athena-wlm benchmark results',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}.`,
    `${machineNotes()} Simulation wall time ${(elapsed / 1000).toFixed(1)} s (all the simulator tables).`,
    '',
    'A deterministic discrete-event simulation (bench/simulator.ts): the same seeded arrival trace is fed to',
    'three strategies. `reference-sample`: no admission, throttled starts go to a DLQ re-driven every 60 s.',
    "`retry-only`: no admission, athena-wlm's state machine alone (backoff with full jitter, defer, redrive).",
    '`athena-wlm`: admission by workload class below quota - headroom with the first-come line per class',
    "(the real `admitInLine`, as the slot stores call it) and the starter's queue-wait limit, then the same",
    `retry path. \`${BEFORE}\` is athena-wlm as the first run of this benchmark found it: the old`,
    'defaults, and no line.',
    '',
    findings(config, args.seed, runs, variants, spreadRuns),
    '## Parameters',
    '',
    parameters(config, args.seed),
    '',
    '## Results',
    '',
    ...sections,
    spread,
    sensitivity,
    ASSUMPTIONS,
    localSectionOf(readResults()),
  ].join('\n');
  process.stdout.write(`${doc}\n`);
  if (args.write) {
    writeFileSync(RESULTS_PATH, `${doc}\n`);
    process.stderr.write(`wrote ${RESULTS_PATH}\n`);
  }
}

async function localMain(args: Args): Promise<void> {
  const { runLocalPipeline, localPipelineSection } = await import('./local-pipeline');
  const result = await runLocalPipeline({ queries: args.queries });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const section = [LOCAL_START, localPipelineSection(result, command, machineNotes()), LOCAL_END].join('\n');
  process.stdout.write(`${section}\n`);
  if (args.write) {
    const doc = readResults() ?? '# athena-wlm benchmark results\n';
    writeFileSync(RESULTS_PATH, withLocalSection(doc, section));
    process.stderr.write(`wrote the local pipeline section of ${RESULTS_PATH}\n`);
  }
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  if (args.local) {
    localMain(args).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
  } else {
    simulatorMain(args);
  }
}
