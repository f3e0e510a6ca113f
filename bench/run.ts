/**
 * `npm run bench`: every scenario x strategy on the same seeded traces; prints the tables and writes
 * bench/RESULTS.md. Options: --seed N (default 42), --scenario NAME (repeatable), --no-write.
 */
import { writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { admissionPolicy } from '../functions/core/admission-policy';
import { loadConfig, type WlmConfig } from '../lib/config';
import { configVariants } from './config-variants';
import { duration, figuresOf, ratios, table, waits } from './report';
import {
  buildTrace,
  OVERLOAD_SERVICE_RATE,
  RUNTIMES,
  SCENARIOS,
  type ScenarioSpec,
  scenarioNamed,
} from './scenarios';
import { STRATEGIES, simulate } from './simulator';

export const DEFAULT_SEED = 42;

interface Args {
  readonly seed: number;
  readonly scenarios: readonly ScenarioSpec[];
  readonly write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let seed = DEFAULT_SEED;
  const names: string[] = [];
  let write = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seed') {
      seed = Number(argv[++i]);
      if (!Number.isInteger(seed)) throw new Error('--seed needs an integer');
    } else if (arg === '--scenario') {
      names.push(argv[++i] ?? '');
    } else if (arg === '--no-write') {
      write = false;
    } else {
      throw new Error(`unknown argument '${arg}' (use --seed N, --scenario NAME, --no-write)`);
    }
  }
  return { seed, scenarios: names.length ? names.map(scenarioNamed) : SCENARIOS, write };
}

/** One scenario's section: description, trace size, the table and the key ratios. */
export function scenarioSection(spec: ScenarioSpec, config: WlmConfig, seed: number): string {
  const trace = buildTrace(spec, seed);
  const figures = STRATEGIES.map((s) =>
    figuresOf(simulate(s, trace, { config, seed, horizonSeconds: spec.horizonSeconds })),
  );
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
  ].join('\n');
}

/** How many seeds the spread section runs (the given seed and the ones after it). */
export const SPREAD_SEEDS = 10;

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

/** Median and range over seeds of the figures that swing most from one trace to the next. */
export function spreadSection(specs: readonly ScenarioSpec[], config: WlmConfig, seed: number): string {
  const seeds = Array.from({ length: SPREAD_SEEDS }, (_, i) => seed + i);
  const spread = (xs: readonly number[], format: (n: number) => string) =>
    `${format(median(xs))} [${format(Math.min(...xs))} - ${format(Math.max(...xs))}]`;
  const count = (n: number) => Math.round(n).toLocaleString('en-US');
  const rows: string[] = [];
  for (const spec of specs) {
    const bySeed = seeds.map((s) => {
      const trace = buildTrace(spec, s);
      return STRATEGIES.map((strategy) =>
        figuresOf(simulate(strategy, trace, { config, seed: s, horizonSeconds: spec.horizonSeconds })),
      );
    });
    STRATEGIES.forEach((strategy, i) => {
      const fs = bySeed.map((row) => row[i]);
      const expl = fs.map((f) => f.exploratoryWait.p95).filter((x) => !Number.isNaN(x));
      rows.push(
        `| ${spec.name} | \`${strategy}\` | ${spread(
          fs.map((f) => f.predictableWait.p95),
          duration,
        )} | ${expl.length ? spread(expl, duration) : 'n/a'} | ${spread(
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
    });
  }
  return [
    `## Spread over ${SPREAD_SEEDS} seeds (${seeds[0]} to ${seeds[seeds.length - 1]})`,
    '',
    'Tail waits swing a lot from one trace to the next (a query either starts at once or waits out a',
    'redrive cycle), so one seed is not the whole story. Median [min - max] over seeds, default config:',
    '',
    '| Scenario | Strategy | ETL wait p95 | Exploratory wait p95 | Throttled starts | Makespan | Lost or unfinished |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

/** athena-wlm against itself: the defaults and a few one-knob changes, on every scenario. */
export function sensitivitySection(specs: readonly ScenarioSpec[], seed: number): string {
  const variants = configVariants();
  const rows: string[] = [];
  for (const spec of specs) {
    const trace = buildTrace(spec, seed);
    for (const v of variants) {
      const f = figuresOf(
        simulate('athena-wlm', trace, { config: v.config, seed, horizonSeconds: spec.horizonSeconds }),
      );
      rows.push(
        `| ${spec.name} | ${v.name} | ${waits(f.predictableWait)} | ${waits(f.exploratoryWait)} | ` +
          `${duration(f.makespan)} | ${f.peakSlotsByClass.predictable ?? 0} | ${f.slotWaitLooks.toLocaleString('en-US')} | ` +
          `${f.throttledAttempts} | ${f.failed + f.unfinished} |`,
      );
    }
  }
  return [
    '## Sensitivity: athena-wlm with other configs (not the defaults)',
    '',
    'Same traces and seed. Only athena-wlm runs; each variant changes one setting (`both` combines two):',
    '',
    ...variants.map((v) => `- \`${v.name}\`: ${v.change}`),
    '',
    '| Scenario | Config | ETL wait p50 / p95 / max | Exploratory wait p50 / p95 / max | Makespan | Peak ETL slots | Slot-wait looks | Throttled | Lost or unfinished |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

export function parameters(config: WlmConfig, seed: number): string {
  const quota = config.quota.activeDmlQueries;
  const classes = Object.entries(config.classes)
    .map(
      ([name, c]) =>
        `| ${name} | ${c.guaranteedSlots} | ${c.maxSlots} | ${RUNTIMES[name]?.describe ?? '-'} |`,
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
    `- Throttle retry (StartQuery): ${t.intervalSeconds} s x${t.backoffRate}, max ${t.maxDelaySeconds} s, ` +
      `${t.maxAttempts} retries, full jitter; then deferred.`,
    `- Redrive every ${r.everyMinutes} min, at most ${r.maxMessagesPerRun} per run, ${r.maxRedrives} redrives, then FAILED.`,
    `- Slot wait (starter): ${a.initialWaitSeconds} s doubling to ${a.maxWaitSeconds} s, equal jitter; parked after ${a.maxReceives} receives.`,
    `- Reference sample: one StartQueryExecution per message; on error to the DLQ; the whole DLQ re-driven every 60 s, no jitter, no cap.`,
    `- Console users' queries: ${RUNTIMES.console.describe}; rejected when the quota is full (no retry).`,
    `- Overload service rate (quota / mean runtime of the mix): ${OVERLOAD_SERVICE_RATE.toFixed(3)} queries/s.`,
    '',
    '| Class | Guaranteed slots | Max slots | Runtime model |',
    '|---|---:|---:|---|',
    classes,
  ].join('\n');
}

/** What the tables say, in words; the figures that depend on the config are computed from it. */
export function findings(config: WlmConfig): string {
  const policy = admissionPolicy(config);
  const others = Object.entries(policy.classes)
    .filter(([name]) => name !== 'predictable')
    .reduce((sum, [, c]) => sum + c.guaranteedSlots, 0);
  const etlCap = Math.min(policy.classes.predictable?.maxSlots ?? 0, policy.capacity - others);
  const quota = config.quota.activeDmlQueries as number;
  return [
    '## What the numbers say',
    '',
    '- athena-wlm never causes a throttled start with its own traffic: `ThrottlingErrorCount` is 0 in every',
    '  scenario without outside traffic (on every seed), against thousands for the reference sample in the',
    '  burst. Its throttles in `outside-traffic` come from console users taking more than the headroom.',
    '- The retry path alone (`retry-only`) is no cure: under the burst it makes more throttled calls than the',
    '  reference sample, costs about 5x the Step Functions transitions of athena-wlm, and gives up some',
    '  queries (FAILED after the redrive cap), ETL ones included.',
    `- With the default config, ETL (predictable) can hold at most ${etlCap} slots (${Math.round((etlCap / quota) * 100)}% of the quota):`,
    `  capacity ${policy.capacity} minus the ${others} slots guaranteed to the other classes, whatever its maxSlots says.`,
    '  The case study puts ETL at 30-70% of the quota, so at ETL peaks athena-wlm makes ETL wait where the',
    '  reference sample would have run it: ETL p95 wait is worse than the reference in `steady-etl`; in the',
    '  burst it is better on the median seed (about 2x) but far from untouched, because exploratory queries',
    "  borrow the slots above ETL's guarantee and hold them for minutes. The sensitivity table shows the fix",
    '  is configuration: a predictable guarantee that covers its usual load (`etl-sized`).',
    '- A refused query is not woken when a slot frees; it looks again after its slot wait (5 s doubling to',
    '  120 s) and newer arrivals can take the slot first, so tail waits run to many minutes. A shorter slot',
    '  wait cuts the tail at the price of more starter runs (`short-slot-wait`).',
    "- Admission is not work-conserving: a class's unused guarantee is never lent (nothing could take it",
    '  back), and class caps hold even when the rest is idle. So while queries wait, athena-wlm keeps only',
    '  about 10 of its 18 slots busy where the reference sample keeps about 16 of 20 (row "Mean own queries',
    '  running while some wait"). That is why the burst drains over about 1.5 h instead of 1 h (exploratory',
    '  is capped: the point, it protects ETL) and why `overload` takes longer to clear.',
    '',
  ].join('\n');
}

export const ASSUMPTIONS = `## Modelling assumptions

- Athena is a counter: a start is accepted while running + queued queries (ours and outside traffic) are
  below the quota, else \`TooManyRequestsException\`. A query's runtime does not depend on how many run
  (no service-side queueing or shared-capacity slowdown); API-rate throttling is not modelled.
- SQS to Lambda, StartExecution, ledger writes and the \`.sync\` completion are instant: a slot is
  freed the moment Athena finishes (on AWS the \`.sync\` poll can hold it up to about a minute longer,
  which only lowers athena-wlm's throughput).
- athena-wlm's admission is the product's \`decideAdmission\` with \`admissionPolicy(config)\`, and slot
  waits are \`slotWaitSeconds\` fed from the seeded PRNG. The starter is not woken when a slot frees: a
  refused query looks again after its backoff (5 s doubling to 120 s), which is where its waits come from.
  Admission counts only athena-wlm's own slots; outside traffic is met by the throttle-retry path.
- The reference sample is modelled as designed, not with its bugs: every message of a batch is tried
  (the real consumer returns after the first of each batch of 10 and deletes the rest).
- Step Functions transitions are states entered in run-query.asl.json (7 for a clean run, +1 per
  throttle retry, 14 for a deferred execution); Lambda, SQS and DynamoDB costs are not counted.
- Wait = arrival to the accepted start. A query that never started counts as an infinite wait in the
  percentiles ("never"). Lost = ended FAILED (past the redrive cap); unfinished = anything still
  pending or running at the horizon.
- The tables above are one seed; the spread section shows how far tail waits move between seeds.
- Not measured here: the local pipeline end to end (bench/local-pipeline.ts is not written yet: there
  was no \`local/runtime.ts\` exporting \`startLocalRuntime\` to drive over HTTP).
`;

function machineNotes(elapsedMs: number): string {
  const cpu = cpus();
  return (
    `Machine: ${platform()} ${release()} ${arch()}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}. ` +
    `Simulation wall time ${(elapsedMs / 1000).toFixed(1)} s.`
  );
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const started = Date.now();
  const sections = args.scenarios.map((spec) => scenarioSection(spec, config, args.seed));
  const elapsed = Date.now() - started;
  const command =
    args.seed === DEFAULT_SEED && args.scenarios === SCENARIOS
      ? 'npm run bench'
      : `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const doc = [
    '# athena-wlm benchmark results',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}.`,
    machineNotes(elapsed),
    '',
    'A deterministic discrete-event simulation (bench/simulator.ts): the same seeded arrival trace is fed to',
    'three strategies. `reference-sample`: no admission, throttled starts go to a DLQ re-driven every 60 s.',
    "`retry-only`: no admission, athena-wlm's state machine alone (backoff with full jitter, defer, redrive).",
    '`athena-wlm`: admission by workload class (the real `decideAdmission`) below quota - headroom, then the same retry path.',
    '',
    findings(config),
    '## Parameters',
    '',
    parameters(config, args.seed),
    '',
    '## Results',
    '',
    ...sections,
    spreadSection(args.scenarios, config, args.seed),
    sensitivitySection(args.scenarios, args.seed),
    ASSUMPTIONS,
  ].join('\n');
  process.stdout.write(`${doc}\n`);
  if (args.write) {
    const path = join(__dirname, 'RESULTS.md');
    writeFileSync(path, `${doc}\n`);
    process.stderr.write(`wrote ${path}\n`);
  }
}

if (require.main === module) main();
