/**
 * `npm run bench`: every scenario x strategy on the same seeded traces, with the shipped defaults; prints
 * the targets and tables, writes bench/RESULTS.md and bench/results.json. Options: --seed N (default
 * 42), --scenario NAME (repeatable), --no-write.
 * `npm run bench -- --local [--queries N] [--intake-seconds S]`: instead, drives the real local runtime
 * end to end (bench/local-pipeline.ts), then measures `npm start`'s intake under load with autocannon
 * (bench/local-intake.ts), and rewrites only the local sections of RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CONFIG,
  loadConfig,
  parseConfig,
  type WlmConfig,
  type WlmConfigInput,
} from '../contracts/config';
import { admissionPolicy } from '../functions/core/admission-policy';
import { duration, type Figures, figuresOf, requestsTable, table } from './report';
import {
  buildTrace,
  RUNTIMES,
  SCENARIO_QUOTA,
  SCENARIOS,
  type ScenarioSpec,
  scenarioNamed,
} from './scenarios';
import { LATENCIES, type LatencyProfile } from './sim-aws';
import { STARTER_WINDOW_MS, STRATEGIES, type StrategyName, simulate } from './simulator';

export const DEFAULT_SEED = 42;
export const RESULTS_PATH = join(__dirname, 'RESULTS.md');
export const RESULTS_JSON_PATH = join(__dirname, 'results.json');

interface Args {
  readonly seed: number;
  readonly scenarios: readonly ScenarioSpec[];
  readonly write: boolean;
  readonly local: boolean;
  readonly queries?: number;
  readonly intakeSeconds?: number;
}

function parseArgs(argv: readonly string[]): Args {
  let seed = DEFAULT_SEED;
  const names: string[] = [];
  let write = true;
  let local = false;
  let queries: number | undefined;
  let intakeSeconds: number | undefined;
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
    } else if (arg === '--intake-seconds') {
      intakeSeconds = Number(argv[++i]);
      if (!Number.isInteger(intakeSeconds) || intakeSeconds < 1)
        throw new Error('--intake-seconds needs a positive integer');
    } else {
      throw new Error(
        `unknown argument '${arg}' (use --seed N, --scenario NAME, --no-write, --local, --queries N, --intake-seconds S)`,
      );
    }
  }
  return {
    seed,
    scenarios: names.length ? names.map(scenarioNamed) : SCENARIOS,
    write,
    local,
    queries,
    intakeSeconds,
  };
}

export type ScenarioFigures = Readonly<Record<StrategyName, Figures>>;

/** Every strategy on one scenario's trace, with one config. */
export async function runScenario(
  spec: ScenarioSpec,
  config: WlmConfig,
  seed: number,
  latency: LatencyProfile = 'typical',
): Promise<ScenarioFigures> {
  const trace = buildTrace(spec, seed);
  const quota = spec.quota ?? SCENARIO_QUOTA;
  const out: Partial<Record<StrategyName, Figures>> = {};
  for (const strategy of STRATEGIES) {
    const result = await simulate(strategy, trace, {
      config,
      quota,
      seed,
      horizonSeconds: spec.horizonSeconds,
      latency,
    });
    out[strategy] = figuresOf(result, trace);
  }
  return out as ScenarioFigures;
}

/** A target, its value and whether the run meets it. */
export interface Target {
  readonly scenario: string;
  readonly goal: string;
  readonly value: string;
  readonly met: boolean;
}

export function targetsOf(results: ReadonlyMap<string, ScenarioFigures>): Target[] {
  const targets: Target[] = [];
  for (const [name, by] of results) {
    const wlm = by['athena-wlm'];
    const ref = by['reference-sample'];
    const outside = (scenarioNamed(name).outside ?? []).length > 0;
    targets.push({
      scenario: name,
      goal: "makespan <= the reference sample's",
      value: `${duration(wlm.makespanSeconds)} vs ${duration(ref.makespanSeconds)}`,
      met: wlm.makespanSeconds <= ref.makespanSeconds,
    });
    targets.push({ scenario: name, goal: '0 lost', value: String(wlm.lost), met: wlm.lost === 0 });
    if (!outside) {
      targets.push({
        scenario: name,
        goal: '0 throttled starts (no outside traffic)',
        value: String(wlm.throttledStarts),
        met: wlm.throttledStarts === 0,
      });
    }
    targets.push({
      scenario: name,
      goal: "0 starts refused for Athena's API rate (20/s, burst 80)",
      value: `${wlm.rateLimitedStarts} (at most ${wlm.peakStartsPerSecond} calls in one second; the sample ${ref.rateLimitedStarts})`,
      met: wlm.rateLimitedStarts === 0,
    });
    targets.push({
      scenario: name,
      goal: 'Lambda runs per query <= 3',
      value: wlm.lambdaRunsPerQuery.toFixed(2),
      met: wlm.lambdaRunsPerQuery <= 3,
    });
  }
  const overload = results.get('overload')?.['athena-wlm'];
  if (overload) {
    targets.push({
      scenario: 'overload',
      goal: 'makespan <= 1.05 x bound',
      value: `${duration(overload.makespanSeconds)} vs ${duration(overload.boundSeconds)} (${(overload.makespanSeconds / overload.boundSeconds).toFixed(2)}x)`,
      met: overload.makespanSeconds <= 1.05 * overload.boundSeconds,
    });
    targets.push({
      scenario: 'overload',
      goal: 'busy slots while queries wait >= 0.95 x capacity',
      value: `${overload.busySlotsWhileWaiting.toFixed(1)} of ${overload.capacity} (${((overload.busySlotsWhileWaiting / overload.capacity) * 100).toFixed(0)}%)`,
      met: overload.busySlotsWhileWaiting >= 0.95 * overload.capacity,
    });
  }
  const steady = results.get('steady-etl');
  if (steady) {
    const wlm = steady['athena-wlm'].waitP95Seconds.predictable;
    const retry = steady['retry-only'].waitP95Seconds.predictable;
    targets.push({
      scenario: 'steady-etl',
      goal: "ETL p95 wait <= retry-only's + 2 s",
      value: `${duration(wlm)} vs ${duration(retry)}`,
      met: wlm <= retry + 2,
    });
  }
  const burst = results.get('exploratory-burst');
  if (burst) {
    const wlm = burst['athena-wlm'].waitP95Seconds;
    targets.push({
      scenario: 'exploratory-burst',
      goal: 'ETL p95 wait <= 30 s',
      value: duration(wlm.predictable),
      met: wlm.predictable <= 30,
    });
    targets.push({
      scenario: 'exploratory-burst',
      goal: "exploratory p95 as close to the reference sample's as the ETL promise allows (see the trade-off)",
      value: `${duration(wlm.exploratory)} vs ${duration(burst['reference-sample'].waitP95Seconds.exploratory)}`,
      met: true,
    });
  }
  return targets;
}

/** Variants of the defaults for the exploratory-burst trade-off: ETL's guarantee and exploratory's pre-emption. */
export function tradeOffVariants(): { name: string; config: WlmConfig }[] {
  const withClasses = (change: Record<string, Record<string, unknown>>): WlmConfigInput => ({
    ...DEFAULT_CONFIG,
    classes: Object.fromEntries(
      Object.entries(DEFAULT_CONFIG.classes).map(([k, c]) => [k, { ...c, ...(change[k] ?? {}) }]),
    ),
  });
  const variants: { name: string; config: WlmConfig }[] = [];
  for (const share of ['30%', '40%', '50%', '60%', '70%']) {
    variants.push({
      name: `ETL guaranteed ${share}`,
      config: parseConfig(withClasses({ predictable: { guaranteedSlots: share } })),
    });
  }
  variants.push({
    name: 'ETL guaranteed 50%, exploratory not preemptible',
    config: parseConfig(withClasses({ exploratory: { preemptible: false } })),
  });
  variants.push({
    name: 'ETL guaranteed 50%, long not preemptible',
    config: parseConfig(withClasses({ long: { preemptible: false } })),
  });
  variants.push({
    name: 'no guarantees (fair sharing only)',
    config: parseConfig(withClasses({ predictable: { guaranteedSlots: 0 } })),
  });
  return variants;
}

/** The defaults with no headroom: athena-wlm as the account's only Athena client. */
export function noHeadroom(): WlmConfig {
  return parseConfig({ ...DEFAULT_CONFIG, quota: { ...DEFAULT_CONFIG.quota, headroom: 0 } });
}

/** Each missed target: by how much, why, and what would close it, from this run's figures. */
async function missesSection(
  results: ReadonlyMap<string, ScenarioFigures>,
  targets: readonly Target[],
  seed: number,
  tradeOff: readonly TradeOffRow[],
): Promise<string> {
  const missed = targets.filter((t) => !t.met);
  if (missed.length === 0) return '## Targets missed\n\nNone.\n';
  const lines = ['## Targets missed', ''];
  const steady = results.get('steady-etl');
  if (steady && missed.some((t) => t.scenario === 'steady-etl' && t.goal.startsWith('makespan'))) {
    const gap = steady['athena-wlm'].makespanSeconds - steady['reference-sample'].makespanSeconds;
    lines.push(
      `- **steady-etl makespan**, ${gap.toFixed(1)} s longer than the reference sample's over an hour: the scenario never`,
      "  saturates, so the makespan is the last query's arrival plus its run plus the path's latency, and the",
      '  managed path (the starter, EnterLine, a dispatcher pass, MarkRunning) adds a fraction of a second before',
      '  the last query starts. Only a shorter path would close it.',
    );
  }
  if (steady && missed.some((t) => t.scenario === 'steady-etl' && t.goal.startsWith('ETL p95'))) {
    const spec = scenarioNamed('steady-etl');
    const trace = buildTrace(spec, seed);
    const bare = figuresOf(
      await simulate('athena-wlm', trace, {
        config: noHeadroom(),
        quota: SCENARIO_QUOTA,
        seed,
        horizonSeconds: spec.horizonSeconds,
      }),
      trace,
    );
    const wlm = steady['athena-wlm'];
    const retry = steady['retry-only'];
    lines.push(
      `- **steady-etl ETL p95 wait**, ${duration(wlm.waitP95Seconds.predictable)} against ${duration(retry.waitP95Seconds.predictable)}: two causes.`,
      `  The headroom keeps ${SCENARIO_QUOTA - wlm.capacity} of the ${SCENARIO_QUOTA} slots for traffic outside athena-wlm, which this`,
      `  scenario has none of, and ETL's peaks need them: with headroom 0, ETL's p95 is ${duration(bare.waitP95Seconds.predictable)}.`,
      `  The rest is the first-come line: with headroom 0, ${bare.waitedOverOneSecond} queries wait more than a second, against`,
      `  ${retry.waitedOverOneSecond} with retry-only, and their mean wait is lower (${duration(bare.waitMeanSeconds.predictable)} against`,
      `  ${duration(retry.waitMeanSeconds.predictable)}): at a peak the line makes each query wait its turn, where jittered retries let`,
      '  some through at once and leave others much longer. What closes it: headroom 0 in an account where',
      '  athena-wlm is the only client.',
    );
  }
  const burst = results.get('exploratory-burst');
  const sixty = tradeOff.find((r) => r.name === 'ETL guaranteed 60%');
  if (
    burst &&
    sixty &&
    missed.some((t) => t.scenario === 'exploratory-burst' && t.goal.startsWith('ETL p95'))
  ) {
    const wlm = burst['athena-wlm'];
    lines.push(
      `- **exploratory-burst ETL p95 wait**, ${duration(wlm.waitP95Seconds.predictable)} against 30 s (the reference sample: ${duration(burst['reference-sample'].waitP95Seconds.predictable)}): ETL runs`,
      `  at about half the quota and its peaks go past its guarantee (${wlm.capacity / 2} slots), where it takes free slots by weight`,
      "  and waits for one to end instead of pre-empting: the data scientists' queries run a mean 89 s.",
      `  A 60% guarantee closes it (${duration(sixty.etl)}), at a price the trade-off table shows: exploratory's p95 ${duration(sixty.exploratory)}`,
      `  against ${duration(wlm.waitP95Seconds.exploratory)}, ${sixty.preemptions} pre-emptions and a makespan of ${duration(sixty.makespan)} (past the sample's). The defaults`,
      '  keep 50%; an account whose ETL must never wait past 30 s sets its `guaranteedSlots` to "60%".',
    );
  }
  const overload = results.get('overload');
  if (overload && missed.some((t) => t.scenario === 'overload' && t.goal.includes('bound'))) {
    const ratio = (s: StrategyName) => (overload[s].makespanSeconds / overload[s].boundSeconds).toFixed(2);
    lines.push(
      `- **overload makespan**, ${ratio('athena-wlm')}x the bound (retry-only ${ratio('retry-only')}x, reference sample ${ratio('reference-sample')}x)`,
      '  while every slot stays busy (see the table): the bound assumes the longest queries start first, and no',
      "  scheduler that does not know run times can do that; the long class's few queries hold half the work and",
      '  start as their share of the free slots allows. What would close it: run-time estimates (history per',
      '  query shape, or `EXPLAIN`) to start the longest first.',
    );
  }
  return `${lines.join('\n')}\n`;
}

interface TradeOffRow {
  readonly name: string;
  readonly etl: number;
  readonly exploratory: number;
  readonly makespan: number;
  readonly preemptions: number;
}

async function tradeOffSection(seed: number): Promise<{ text: string; rows: TradeOffRow[] }> {
  const spec = scenarioNamed('exploratory-burst');
  const trace = buildTrace(spec, seed);
  const rows: TradeOffRow[] = [];
  for (const v of tradeOffVariants()) {
    const result = await simulate('athena-wlm', trace, {
      config: v.config,
      quota: SCENARIO_QUOTA,
      seed,
      horizonSeconds: spec.horizonSeconds,
    });
    const f = figuresOf(result, trace);
    rows.push({
      name: v.name,
      etl: f.waitP95Seconds.predictable,
      exploratory: f.waitP95Seconds.exploratory,
      makespan: f.makespanSeconds,
      preemptions: f.preemptions,
    });
  }
  const text = [
    '### The exploratory-burst trade-off',
    '',
    "How much of the quota ETL is guaranteed decides how long data scientists' burst waits: each row is",
    'athena-wlm on the same trace with one setting changed from the defaults (`ETL guaranteed 50%`).',
    '',
    '| Variant | ETL p95 wait | Exploratory p95 wait | Makespan | Pre-emptions |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${duration(r.etl)} | ${duration(r.exploratory)} | ${duration(r.makespan)} | ${r.preemptions} |`,
    ),
    '',
  ].join('\n');
  return { text, rows };
}

/** Scenarios run again with the `slow` latencies, to show which figures hang on them. */
const SENSITIVITY_SCENARIOS = ['steady-etl', 'exploratory-burst', 'overload'] as const;

async function sensitivitySection(
  results: ReadonlyMap<string, ScenarioFigures>,
  config: WlmConfig,
  seed: number,
): Promise<{ text: string; rows: unknown[] }> {
  const rows: { scenario: string; latency: LatencyProfile; figures: ScenarioFigures }[] = [];
  for (const name of SENSITIVITY_SCENARIOS) {
    const typical = results.get(name);
    if (!typical) continue;
    rows.push({ scenario: name, latency: 'typical', figures: typical });
    rows.push({
      scenario: name,
      latency: 'slow',
      figures: await runScenario(scenarioNamed(name), config, seed, 'slow'),
    });
  }
  if (rows.length === 0) return { text: '', rows: [] };
  const ratio = (f: ScenarioFigures) =>
    (f['athena-wlm'].makespanSeconds / f['reference-sample'].makespanSeconds).toFixed(3);
  const text = [
    '### Sensitivity to AWS latencies',
    '',
    'The same traces with every hop several times slower (`slow` in bench/sim-aws.ts: an event source',
    `${LATENCIES.slow.eventSource} ms, a state transition ${LATENCIES.slow.stateTransition} ms, a DynamoDB call ${LATENCIES.slow.dynamodbCall} ms, a Step Functions call`,
    `${LATENCIES.slow.stepFunctionsCall} ms). What moves is the managed path's overhead; what does not is the order queries start in.`,
    '',
    "| Scenario | Latencies | athena-wlm makespan / the sample's | ETL p95 wait: athena-wlm / retry-only | Busy slots while waiting | Lambda runs per query |",
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(({ scenario, latency, figures: f }) => {
      const w = f['athena-wlm'];
      return `| ${scenario} | ${latency} | ${ratio(f)} | ${duration(w.waitP95Seconds.predictable)} / ${duration(f['retry-only'].waitP95Seconds.predictable)} | ${w.busySlotsWhileWaiting.toFixed(1)} of ${w.capacity} | ${w.lambdaRunsPerQuery.toFixed(2)} |`;
    }),
    '',
  ].join('\n');
  return {
    text,
    rows: rows.map(({ scenario, latency, figures }) => ({
      scenario,
      latency,
      ...Object.fromEntries(STRATEGIES.map((s) => [s, jsonFigures(figures[s])])),
    })),
  };
}

function parameters(config: WlmConfig, seed: number): string {
  const policy = admissionPolicy(config, SCENARIO_QUOTA);
  const rows = Object.entries(config.classes).map(([name, c]) => {
    const p = policy.classes[name];
    return `| ${name} | ${c.guaranteedSlots} (${p.guaranteedSlots}) | ${c.maxSlots} (${p.maxSlots}) | ${c.schedulingWeight} | ${c.preemptible ? 'yes' : 'no'} | ${c.maxReclaimSeconds} s | ${c.timeoutMinutes} min | ${RUNTIMES[name]?.describe ?? '-'} |`;
  });
  const t = config.throttleRetry;
  return [
    `Seed ${seed}. Config: the shipped defaults (contracts/config/defaults.ts) as \`loadConfig()\` parses them, with`,
    `the live quota of each scenario (${SCENARIO_QUOTA}, and 1,000 in scale-1000) minus headroom ${config.quota.headroom}`,
    `(capacity ${policy.capacity} at ${SCENARIO_QUOTA}). Starts at most ${config.admission.startsPerSecond}/s.`,
    '',
    '| Class | Guaranteed (at quota 20) | Max (at quota 20) | Weight | Preemptible | Reclaim bound | Time limit | Runtime model |',
    '|---|---:|---:|---:|---|---:|---:|---|',
    ...rows,
    '',
    `- Throttle retry (read from run-query.asl.json's StartQuery): ${t.intervalSeconds} s x${t.backoffRate}, max ${t.maxDelaySeconds} s, ${t.maxAttempts} retries, full jitter; then deferred and re-driven every ${config.redrive.everyMinutes} min.`,
    `- Latencies (\`typical\`): SQS to a Lambda event source ${LATENCIES.typical.eventSource} ms (the starter's batching window ${STARTER_WINDOW_MS} ms), a state transition ${LATENCIES.typical.stateTransition} ms, a DynamoDB call ${LATENCIES.typical.dynamodbCall} ms, a Step Functions API call ${LATENCIES.typical.stepFunctionsCall} ms; each call the shipped code makes waits its own latency.`,
    "- Athena: the Active DML quota, and StartQueryExecution's API rate (a bucket of 80 refilled at 20/s): a call past it is refused with ThrottlingException, which run-query defers at once (RateLimited) and the sample sends to its DLQ.",
    '- Reference sample: one StartQueryExecution per message; any error to its DLQ, which is re-driven whole every 60 s, forever.',
    "- retry-only: athena-wlm's state machine without the line: every query's execution starts at once and retries.",
  ].join('\n');
}

export const ASSUMPTIONS = `## How each figure is computed

- **makespan**: first arrival to the last completion. **bound**: max(total work / usable slots, the longest
  query, the last arrival plus its duration), from the first arrival; usable slots = quota minus headroom.
  No scheduler that does not know run times in advance can reach the bound on every trace.
- **busy slots while waiting**: the mean number of our own queries running in Athena over the time at least
  one of our queries had arrived and not started (the time a query spends in the intake counts as waiting).
- **wait**: arrival to the start of the run that finished (a pre-empted query's first run counts as waiting).
- **Lambda runs per query**: starter and dispatcher invocations from the first arrival to the last completion,
  divided by the queries; the one-minute safety sweep's runs are counted apart (60 an hour, busy or idle),
  and are in the requests and the cost.
- **requests per 1,000 queries**: DynamoDB request units, from each call's items (a line entry with its task
  token about 1.3 KB, a slot holder and a ledger record less than 1 KB; strongly consistent reads, one unit
  per 4 KB, at least one per call; writes one unit per KB); SQS counts sends, receives and deletes (an event
  source's receive and batch delete count once per batch); Step Functions API calls are StartExecution,
  SendTask* and StopExecution (not billed); Lambda seconds are the virtual time each invocation ran (a
  dispatcher that keeps passing for the start rate runs up to 2 s). Cost: transitions, Lambda requests and
  seconds at 512 MB arm64, DynamoDB on-demand request units, SQS and EventBridge Pipes requests at us-east-1
  list prices. The intake pipe's reads of the ledger stream are not counted (see the README).

## Modelling assumptions

- Athena is the quota only: a start is accepted while running + queued queries are below the quota, and a
  query holds its unit of quota for its run time. The \`.sync\` integration notices the end at once (its
  real polling cadence is undocumented: a delay of d seconds holds each slot d seconds longer).
- Outside traffic (console users) takes quota and is rejected when the quota is full.
- The dispatcher, starter, redrive, ledger and dispatch store are the shipped code; SQS, Lambda, DynamoDB and
  Step Functions are modelled by their latencies, one per call (the sensitivity table runs them slower);
  nothing crashes (crash safety is tested in \`npm test\`). Lambda cold starts are not modelled.
`;

export const LOCAL_START = '<!-- local-pipeline:start -->';
export const LOCAL_END = '<!-- local-pipeline:end -->';

/** The local pipeline section of an existing RESULTS.md (kept when only the simulator runs). */
export function localSectionOf(doc: string | undefined): string {
  if (!doc) return '';
  const start = doc.indexOf(LOCAL_START);
  const end = doc.indexOf(LOCAL_END);
  return start >= 0 && end > start ? doc.slice(start, end + LOCAL_END.length) : '';
}

export function withLocalSection(doc: string, section: string): string {
  const existing = localSectionOf(doc);
  return existing ? doc.replace(existing, section) : `${doc.trimEnd()}\n\n${section}\n`;
}

export function machineNotes(): string {
  const cpu = cpus();
  return `Machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()} ${arch()}, Node ${process.version}.`;
}

const readResults = () => (existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : undefined);

async function simulatorMain(args: Args): Promise<void> {
  const config = loadConfig();
  const began = Date.now();
  const results = new Map<string, ScenarioFigures>();
  for (const spec of args.scenarios) results.set(spec.name, await runScenario(spec, config, args.seed));
  const tradeOff = args.scenarios.some((s) => s.name === 'exploratory-burst')
    ? await tradeOffSection(args.seed)
    : { text: '', rows: [] };
  const sensitivity = await sensitivitySection(results, config, args.seed);
  const targets = targetsOf(results);
  const misses = await missesSection(results, targets, args.seed, tradeOff.rows);
  const elapsed = Date.now() - began;
  const command =
    args.seed === DEFAULT_SEED && args.scenarios === SCENARIOS
      ? 'npm run bench'
      : `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const sections = [...results].map(([name, by]) =>
    [`### ${name}`, '', scenarioNamed(name).description, '', table(STRATEGIES.map((s) => by[s])), ''].join(
      '\n',
    ),
  );
  const doc = [
    '# athena-wlm benchmark results',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}. ${machineNotes()} Simulation wall time ${(elapsed / 1000).toFixed(0)} s.`,
    '',
    'A deterministic discrete-event simulation (bench/simulator.ts) feeds the same seeded arrival trace to',
    'three strategies: `reference-sample` (no admission; a throttled start goes to a DLQ re-driven every 60 s),',
    "`retry-only` (athena-wlm's state machine without the line) and `athena-wlm`, which runs the shipped",
    'starter, dispatcher (`dispatchInvocation` -> `runDispatcher` -> `planDispatch`), redrive, ledger and',
    'dispatch store on a virtual clock. The figures are also in bench/results.json.',
    '',
    '## Targets',
    '',
    '| Scenario | Target | athena-wlm | Met |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.scenario} | ${t.goal} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    misses,
    '## Parameters',
    '',
    parameters(config, args.seed),
    '',
    '## Results',
    '',
    ...sections,
    tradeOff.text,
    sensitivity.text,
    '### AWS requests per 1,000 queries (athena-wlm)',
    '',
    requestsTable([...results].map(([scenario, by]) => ({ scenario, figures: by['athena-wlm'] }))),
    '',
    ASSUMPTIONS,
    localSectionOf(readResults()),
  ].join('\n');
  process.stdout.write(`${doc}\n`);
  if (args.write) {
    writeFileSync(RESULTS_PATH, `${doc.trimEnd()}\n`);
    const json = {
      command,
      seed: args.seed,
      scenarios: Object.fromEntries(
        [...results].map(([name, by]) => [
          name,
          Object.fromEntries(STRATEGIES.map((s) => [s, jsonFigures(by[s])])),
        ]),
      ),
      targets,
      tradeOff: tradeOff.rows,
      sensitivity: sensitivity.rows,
    };
    writeFileSync(RESULTS_JSON_PATH, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`wrote ${RESULTS_PATH} and ${RESULTS_JSON_PATH}\n`);
  }
}

/** The figures as results.json names them (Infinity, a wait that never ended, is written as null). */
function jsonFigures(f: Figures): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(
      {
        makespanSeconds: f.makespanSeconds,
        boundSeconds: f.boundSeconds,
        busySlotsWhileWaiting: f.busySlotsWhileWaiting,
        capacity: f.capacity,
        throttledStarts: f.throttledStarts,
        rateLimitedStarts: f.rateLimitedStarts,
        lost: f.lost,
        unfinished: f.unfinished,
        waitP95Seconds: f.waitP95Seconds,
        waitMeanSeconds: f.waitMeanSeconds,
        peakStartsPerSecond: f.peakStartsPerSecond,
        lambdaRunsPerQuery: f.lambdaRunsPerQuery,
        sweepRunsPerHour: f.sweepRunsPerHour,
        transitionsPerQuery: f.transitionsPerQuery,
        arrivals: f.arrivals,
        completed: f.completed,
        failed: f.failed,
        preemptions: f.preemptions,
        preemptedWorkSeconds: f.preemptedWorkSeconds,
        per1000: f.per1000,
      },
      (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    ),
  ) as Record<string, unknown>;
}

async function localMain(args: Args): Promise<void> {
  const { runLocalPipeline, localPipelineSection } = await import('./local-pipeline');
  const { runLocalIntake, localIntakeSection } = await import('./local-intake');
  const result = await runLocalPipeline({ queries: args.queries });
  const intake = await runLocalIntake({ seconds: args.intakeSeconds });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const section = [
    LOCAL_START,
    localPipelineSection(result, command, machineNotes()),
    '',
    localIntakeSection(intake, command, machineNotes()),
    LOCAL_END,
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (args.write) {
    const doc = readResults() ?? '# athena-wlm benchmark results\n';
    writeFileSync(RESULTS_PATH, withLocalSection(doc, section));
    process.stderr.write(`wrote the local pipeline section of ${RESULTS_PATH}\n`);
  }
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  (args.local ? localMain(args) : simulatorMain(args)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
