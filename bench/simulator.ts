/**
 * A deterministic discrete-event model of Athena's concurrent-query quota and of three ways to feed it.
 * For `athena-wlm` it runs the shipped code, not a model of it: the starter (`handleQueryMessage`), the
 * dispatcher (`dispatchInvocation`, the invocation loop the Lambda handler runs), the redrive
 * (`redriveDeferred`), the in-memory dispatch store and ledger, and the throttling retry read from
 * run-query.asl.json, all on a virtual clock. Only Athena (its quota and its API rate) and the
 * latency and cost of each AWS call are modelled (bench/sim-aws.ts).
 */

import type { WlmConfig } from '../contracts/config';
import type { RunQueryInput } from '../contracts/execution-input';
import type { MetricName } from '../contracts/metrics';
import { InMemoryDispatchStore } from '../functions/adapters/memory/in-memory-dispatch-store';
import { InMemoryLedger } from '../functions/adapters/memory/in-memory-ledger';
import { admissionPolicy } from '../functions/core/admission-policy';
import { type DispatcherDeps, dispatchInvocation, INVOCATION_BUDGET_MS } from '../functions/core/dispatcher';
import type {
  DispatchStore,
  Ledger,
  MessageQueue,
  Metrics,
  ReceivedMessage,
  StartExecutionResult,
  TaskTokens,
} from '../functions/core/ports';
import { newQueryRecord } from '../functions/core/query-record';
import { redriveDeferred } from '../functions/core/redrive';
import { handleQueryMessage } from '../functions/core/start-query';
import { StartRate } from '../functions/core/start-rate';
import type { WakeEvent } from '../functions/core/wake-event';
import {
  RunQueryStates,
  runQueryDefinition,
  runQueryTuning,
  THROTTLING_ERRORS,
} from '../state-machines/run-query';
import { deriveSeed, mulberry32, type Random } from './random';
import type { Trace } from './scenarios';
import {
  AthenaApiRate,
  LATENCIES,
  type Latency,
  type LatencyProfile,
  meteredDispatchStore,
  meteredLedger,
  type RequestUnits,
} from './sim-aws';
import { VirtualClock } from './virtual-clock';

export const STRATEGIES = ['reference-sample', 'retry-only', 'athena-wlm'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Second 0 of a run, as wall-clock time for the ledger's ISO timestamps. */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The starter event source's batching window in ms: none (lib/query-starter.ts). */
export const STARTER_WINDOW_MS = 0;

/** The starter's event source: up to this many concurrent batches (the stack's default). */
export const STARTER_CONCURRENCY = 5;
/** Messages per Lambda batch (SQS's largest without a batching window). */
export const BATCH_SIZE = 10;

export type SimQueryStatus = 'waiting' | 'running' | 'completed' | 'failed';

export interface QueryOutcome {
  readonly id: number;
  readonly queryId: string;
  readonly className: string;
  /** Seconds since the start of the run. */
  readonly arrivedAt: number;
  readonly runtime: number;
  status: SimQueryStatus;
  /** When Athena accepted the start that ran to the end. */
  startedAt?: number;
  finishedAt?: number;
  startAttempts: number;
  throttled: number;
  /** When each StartQueryExecution call was made (ms, a whole number), accepted or not. */
  readonly startCalls: number[];
  executions: number;
  redrives: number;
  preemptions: number;
  /** Seconds of Athena work thrown away by pre-emptions (and billed). */
  lostWorkSeconds: number;
  failureCode?: string;
}

export interface SimOptions {
  readonly config: WlmConfig;
  /** The account's Active DML quota (the live value when the config says 'service-quotas'). */
  readonly quota: number;
  readonly seed: number;
  readonly horizonSeconds: number;
  /** How long AWS calls take. @default 'typical' */
  readonly latency?: LatencyProfile;
}

/** Requests to AWS services, to price the run. */
export interface Requests {
  lambdaRuns: { starter: number; dispatcher: number; redrive: number };
  /** Milliseconds the starter and dispatcher functions ran, in all. */
  lambdaMs: number;
  /** When each starter and dispatcher invocation began (ms), to count the runs a workload caused. */
  runTimes: number[];
  /** When each invocation that had only the schedule's sweep to apply began (ms). */
  sweepRunTimes: number[];
  /** DynamoDB request units (and requests) of the ledger and the dispatch table. */
  dynamodb: RequestUnits;
  sqsStandard: number;
  sqsFifo: number;
  /** EventBridge Pipes requests (the intake pipe's, one per record it queues). */
  pipes: number;
  stepFunctionsApi: number;
  transitions: number;
}

export interface SimResult {
  readonly strategy: StrategyName;
  readonly quota: number;
  readonly capacity: number;
  readonly horizonSeconds: number;
  readonly queries: readonly QueryOutcome[];
  readonly startAttempts: number;
  /** TooManyRequests answers to our own starts (`ThrottlingErrorCount`). */
  readonly throttledAttempts: number;
  /** ThrottlingException answers: starts past Athena's StartQueryExecution API rate. */
  readonly rateLimitedAttempts: number;
  readonly executions: number;
  readonly redrives: number;
  readonly preemptions: number;
  readonly requests: Requests;
  /** Mean of our own queries running in Athena while at least one of ours waited to start. */
  readonly busyWhileWaiting: number;
  readonly backloggedSeconds: number;
  readonly peakOwnConcurrent: number;
  readonly peakTotalConcurrent: number;
  readonly outsideSubmitted: number;
  readonly outsideRejected: number;
  /** Queries accepted that ended with no terminal status and nothing left to give them one. */
  readonly lost: number;
}

/** The queryId of a trace arrival: zero-padded so that string order is arrival order. */
export const queryIdOf = (id: number) => `q${String(id).padStart(7, '0')}`;

/** The throttling retrier of run-query's StartQuery state, as the deployed definition has it. */
export function throttleRetrier(config: WlmConfig): {
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  maxAttempts: number;
} {
  const definition = JSON.parse(runQueryDefinition(runQueryTuning(config))) as {
    States: Record<string, { Retry?: { ErrorEquals: string[]; [k: string]: unknown }[] }>;
  };
  const retrier = definition.States[RunQueryStates.startQuery].Retry?.find((r) =>
    r.ErrorEquals.includes(THROTTLING_ERRORS[0]),
  );
  if (!retrier) throw new Error('run-query has no throttling retrier on StartQuery');
  return {
    intervalSeconds: Number(retrier.IntervalSeconds ?? 1),
    backoffRate: Number(retrier.BackoffRate ?? 2),
    maxDelaySeconds: Number(retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY),
    maxAttempts: Number(retrier.MaxAttempts ?? 3),
  };
}

/**
 * State transitions of run-query's paths, counted on the definition: each name must follow the one
 * before it (Next, a Catch, a Choice), so a path that no longer exists in the file fails here.
 */
export function transitionsOf(path: readonly string[]): number {
  const states = (JSON.parse(runQueryDefinition()) as { States: Record<string, Record<string, unknown>> })
    .States;
  for (let i = 1; i < path.length; i++) {
    const from = states[path[i - 1]];
    const targets = new Set<unknown>([
      from?.Next,
      from?.Default,
      ...((from?.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ...((from?.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
    ]);
    if (!states[path[i]] || !targets.has(path[i])) {
      throw new Error(`run-query has no transition ${path[i - 1]} -> ${path[i]}`);
    }
  }
  return path.length;
}

/** Paths of run-query (StartQuery once; each retry of it is one more transition). */
export const PATHS = {
  enter: ['EnterLine', 'MarkRunning', 'StartQuery'],
  succeeded: ['StartQuery', 'QuerySucceeded', 'ReleaseSlot', 'RouteOutcome', 'RecordSucceeded', 'Succeeded'],
  deferred: [
    'StartQuery',
    'QueryError',
    'DescribeError',
    'ThrottledTooLong',
    'ReleaseSlot',
    'RouteOutcome',
    'SendToDeferredQueue',
    'RecordDeferred',
    'Deferred',
  ],
  waitedTooLong: ['EnterLine', 'WaitedTooLong', 'LeaveLine', 'RecordNotStarted', 'QueryDidNotSucceed'],
  notStartable: ['MarkRunning', 'NotStartable', 'ReleaseSlot', 'RouteOutcome', 'Skipped'],
  rateLimited: [
    'StartQuery',
    'QueryError',
    'DescribeError',
    'RateLimited',
    'ReleaseSlot',
    'RouteOutcome',
    'SendToDeferredQueue',
    'RecordDeferred',
    'Deferred',
  ],
} as const;

/** Runs one strategy over one trace. Same trace, config and seed: same result, to the last figure. */
export async function simulate(
  strategy: StrategyName,
  trace: Trace,
  options: SimOptions,
): Promise<SimResult> {
  return new Simulation(strategy, trace, options).run();
}

type TokenAnswer = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Task tokens of the simulated executions: EnterLine waits on one until the dispatcher completes it. */
class SimTokens implements TaskTokens {
  private readonly waiters = new Map<string, (answer: TokenAnswer) => void>();
  constructor(
    private readonly requests: Requests,
    private readonly clock: VirtualClock,
    private readonly latency: Latency,
  ) {}

  wait(token: string): Promise<TokenAnswer> {
    return new Promise((resolve) => this.waiters.set(token, resolve));
  }

  drop(token: string): void {
    this.waiters.delete(token);
  }

  async succeed(token: string): Promise<'ok' | 'gone'> {
    await this.clock.sleep(this.latency.stepFunctionsCall);
    return this.answer(token, { ok: true });
  }

  async fail(token: string, error: string): Promise<'ok' | 'gone'> {
    await this.clock.sleep(this.latency.stepFunctionsCall);
    return this.answer(token, { ok: false, error });
  }

  private answer(token: string, answer: TokenAnswer): 'ok' | 'gone' {
    this.requests.stepFunctionsApi++;
    const waiter = this.waiters.get(token);
    if (!waiter) return 'gone';
    this.waiters.delete(token);
    waiter(answer);
    return 'ok';
  }
}

/** A FIFO message queue in memory (SQS), counting requests. */
class SimQueue implements MessageQueue {
  private readonly messages: { body: string; handle: string }[] = [];
  private next = 0;
  constructor(
    private readonly requests: Requests,
    private readonly onSend: (body: string) => void = () => {},
  ) {}

  get depth(): number {
    return this.messages.length;
  }

  /** The query ids of the messages waiting in the queue. */
  queryIds(): string[] {
    return this.messages.map((m) => (JSON.parse(m.body) as { queryId: string }).queryId);
  }

  async receive(max: number): Promise<readonly ReceivedMessage[]> {
    this.requests.sqsStandard++;
    return this.take(max);
  }

  /** What an event source hands a batch (its receive is counted by the caller). */
  take(max: number): ReceivedMessage[] {
    return this.messages
      .splice(0, max)
      .map((m) => ({ body: m.body, receiptHandle: m.handle, receiveCount: 1 }));
  }

  async send(body: string): Promise<void> {
    this.requests.sqsStandard++;
    this.messages.push({ body, handle: `h${this.next++}` });
    this.onSend(body);
  }

  async delete(): Promise<void> {
    this.requests.sqsStandard++;
  }

  async changeVisibility(): Promise<void> {
    this.requests.sqsStandard++;
  }
}

interface SimExecution {
  readonly arn: string;
  stopped: boolean;
  stop: () => void;
  readonly stoppedSignal: Promise<'stopped'>;
}

class Simulation {
  private readonly clock = new VirtualClock();
  private readonly random: Random;
  private readonly queries: QueryOutcome[] = [];
  private readonly byQueryId = new Map<string, QueryOutcome>();
  private readonly requests: Requests = {
    lambdaRuns: { starter: 0, dispatcher: 0, redrive: 0 },
    lambdaMs: 0,
    runTimes: [],
    sweepRunTimes: [],
    dynamodb: { reads: 0, writes: 0, calls: 0 },
    sqsStandard: 0,
    sqsFifo: 0,
    pipes: 0,
    stepFunctionsApi: 0,
    transitions: 0,
  };
  private readonly capacity: number;
  private readonly retrier: ReturnType<typeof throttleRetrier>;
  private ownActive = 0;
  private outsideActive = 0;
  private waitingToStart = 0;
  private lastMark = 0;
  private busyArea = 0;
  private backloggedMs = 0;
  private peakOwn = 0;
  private peakTotal = 0;
  private startAttempts = 0;
  private throttledAttempts = 0;
  private rateLimitedAttempts = 0;
  private readonly athenaApi = new AthenaApiRate();
  private readonly latency: Latency;
  private executionsStarted = 0;
  private redrives = 0;
  private preemptions = 0;
  private outsideSubmitted = 0;
  private outsideRejected = 0;
  // athena-wlm's parts, behind AWS's latency and metering
  private readonly records = new InMemoryLedger(() => this.now());
  /** The ledger as the functions call it (each call waits for DynamoDB). */
  private readonly ledger: Ledger;
  /** The ledger as run-query's DynamoDB task states write it (their latency is the transition's). */
  private readonly stateLedger: Ledger;
  private readonly store: DispatchStore;
  private readonly tokens: SimTokens;
  private readonly executions = new Map<string, SimExecution>();
  private readonly queriesQueue: SimQueue;
  private readonly deferredQueue: SimQueue;
  private readonly failedQueue: SimQueue;
  private readonly wakeQueue: WakeEvent[] = [];
  private starterBatches = 0;
  private starterScheduled = false;
  private starterTimer = 0;
  private dispatcherBusy = false;
  private dispatcherScheduled = false;
  private readonly dispatcherDeps: DispatcherDeps;
  /** The sample's "dead letter" queue. */
  private sampleDlq: QueryOutcome[] = [];
  /** Executions of each query still waiting or running. */
  private readonly live = new Map<string, number>();

  constructor(
    private readonly strategy: StrategyName,
    private readonly trace: Trace,
    private readonly options: SimOptions,
  ) {
    this.random = mulberry32(deriveSeed(options.seed, 'strategy', strategy));
    this.latency = LATENCIES[options.latency ?? 'typical'];
    const units = this.requests.dynamodb;
    this.ledger = meteredLedger(this.records, this.clock, this.latency, units);
    this.stateLedger = meteredLedger(this.records, this.clock, { ...this.latency, dynamodbCall: 0 }, units);
    this.store = meteredDispatchStore(new InMemoryDispatchStore(), this.clock, this.latency, units);
    this.capacity = admissionPolicy(options.config, options.quota).capacity;
    this.retrier = throttleRetrier(options.config);
    this.tokens = new SimTokens(this.requests, this.clock, this.latency);
    this.queriesQueue = new SimQueue(this.requests, () => this.scheduleStarter());
    this.deferredQueue = new SimQueue(this.requests);
    // What is parked ends FAILED with its reason (the starter and the redrive wrote it to the ledger).
    this.failedQueue = new SimQueue(this.requests, (body) => {
      const query = this.byQueryId.get((JSON.parse(body) as { queryId?: string }).queryId ?? '');
      if (query) this.fail(query, 'Parked');
    });
    this.dispatcherDeps = {
      config: options.config,
      store: this.store,
      tokens: this.tokens,
      ledger: this.ledger,
      executions: {
        start: (name, input) => this.startExecution(name, input),
        stop: (arn) => this.stop(arn),
      },
      metrics: NO_METRICS,
      clock: () => this.now(),
      rate: new StartRate(options.config.admission.startsPerSecond),
      liveQuota: async () => options.quota,
    };
  }

  private now(): Date {
    return new Date(SIM_EPOCH_MS + this.clock.nowMs);
  }

  private get nowSeconds(): number {
    return this.clock.nowMs / 1000;
  }

  async run(): Promise<SimResult> {
    const { config, horizonSeconds } = this.options;
    for (const a of this.trace.arrivals) {
      const query: QueryOutcome = {
        id: a.id,
        queryId: queryIdOf(a.id),
        className: a.className,
        arrivedAt: a.at,
        runtime: a.runtime,
        status: 'waiting',
        startAttempts: 0,
        throttled: 0,
        startCalls: [],
        executions: 0,
        redrives: 0,
        preemptions: 0,
        lostWorkSeconds: 0,
      };
      this.queries.push(query);
      this.byQueryId.set(query.queryId, query);
      this.clock.at(a.at * 1000, () => this.arrive(query));
    }
    for (const o of this.trace.outside) this.clock.at(o.at * 1000, () => this.outsideArrive(o.runtime));
    if (this.strategy === 'reference-sample') {
      this.every(60_000, () => this.sampleRedrive());
    } else {
      this.every(config.redrive.everyMinutes * 60_000, () => this.redriveTick());
      if (this.strategy === 'athena-wlm')
        this.every(60_000, () => this.wake({ type: 'sweep', why: 'schedule' }));
    }
    await this.clock.runUntil(horizonSeconds * 1000);
    this.mark();
    return this.result();
  }

  private every(ms: number, tick: () => void): void {
    const fire = () => {
      tick();
      this.clock.at(this.clock.nowMs + ms, fire);
    };
    this.clock.at(ms, fire);
  }

  /** Accounts busy-while-waiting time up to now; call before any change of the counts. */
  private mark(): void {
    const now = this.clock.nowMs;
    if (this.waitingToStart > 0) {
      this.busyArea += this.ownActive * (now - this.lastMark);
      this.backloggedMs += now - this.lastMark;
    }
    this.lastMark = now;
  }

  private arrive(query: QueryOutcome): void {
    this.mark();
    this.waitingToStart++;
    switch (this.strategy) {
      case 'reference-sample':
        this.clock.at(this.clock.nowMs + this.latency.eventSource, () => this.sampleExecute(query));
        return;
      case 'retry-only':
        this.clock.at(
          this.clock.nowMs + this.latency.eventSource,
          () => void this.runExecution(query, 1, { line: false }),
        );
        return;
      case 'athena-wlm': {
        // API Gateway's UpdateItem writes the QUEUED record; the ledger's stream and the pipe then send
        // `queries` a message that names it (one Pipes request per record, after the INSERT filter).
        const submittedAt = Math.round(SIM_EPOCH_MS + query.arrivedAt * 1000);
        const record = newQueryRecord(
          {
            className: query.className,
            queryId: query.queryId,
            attempt: 1,
            submittedAt,
            body: { query: `SELECT ${query.id}` },
          },
          new Date(submittedAt),
        );
        void this.ledger.create(record).then(() => {
          this.requests.pipes++;
          return this.queriesQueue.send(
            JSON.stringify({ className: query.className, queryId: query.queryId, attempt: 1 }),
          );
        });
        return;
      }
    }
  }

  // --- Athena ------------------------------------------------------------------------------------

  /**
   * StartQueryExecution: refused with ThrottlingException past the API rate, with TooManyRequests when
   * running + queued is at the quota, else accepted.
   */
  private tryStart(query: QueryOutcome): 'started' | 'quota' | 'rate' {
    query.startAttempts++;
    query.startCalls.push(Math.round(this.clock.nowMs));
    this.startAttempts++;
    if (!this.athenaApi.take(this.clock.nowMs)) {
      this.rateLimitedAttempts++;
      return 'rate';
    }
    if (this.ownActive + this.outsideActive >= this.options.quota) {
      query.throttled++;
      this.throttledAttempts++;
      return 'quota';
    }
    this.mark();
    this.ownActive++;
    if (query.startedAt === undefined) this.waitingToStart--;
    query.startedAt = this.nowSeconds;
    query.status = 'running';
    this.peakOwn = Math.max(this.peakOwn, this.ownActive);
    this.peakTotal = Math.max(this.peakTotal, this.ownActive + this.outsideActive);
    return 'started';
  }

  private athenaEnded(): void {
    this.mark();
    this.ownActive--;
  }

  private outsideArrive(runtime: number): void {
    this.outsideSubmitted++;
    if (this.ownActive + this.outsideActive >= this.options.quota) {
      this.outsideRejected++;
      return;
    }
    this.outsideActive++;
    this.peakTotal = Math.max(this.peakTotal, this.ownActive + this.outsideActive);
    this.clock.at(this.clock.nowMs + runtime * 1000, () => {
      this.outsideActive--;
    });
  }

  private complete(query: QueryOutcome): void {
    query.status = 'completed';
    query.finishedAt = this.nowSeconds;
  }

  private fail(query: QueryOutcome, code: string): void {
    if (query.status === 'completed' || query.status === 'failed') return;
    this.mark();
    if (query.startedAt === undefined) this.waitingToStart--;
    query.status = 'failed';
    query.failureCode = code;
    query.finishedAt = this.nowSeconds;
  }

  // --- the reference sample ----------------------------------------------------------------------

  /** Its executor Lambda calls StartQueryExecution once; any error sends the message to the "DLQ". */
  private sampleExecute(query: QueryOutcome): void {
    query.executions++;
    this.executionsStarted++;
    if (this.tryStart(query) !== 'started') {
      this.sampleDlq.push(query);
      return;
    }
    this.clock.at(this.clock.nowMs + query.runtime * 1000, () => {
      this.athenaEnded();
      this.complete(query);
    });
  }

  /** Every minute, the whole DLQ goes back at once and is tried at once, forever. */
  private sampleRedrive(): void {
    const batch = this.sampleDlq;
    this.sampleDlq = [];
    for (const query of batch) {
      query.redrives++;
      this.redrives++;
      this.sampleExecute(query);
    }
  }

  // --- athena-wlm: the starter, the dispatcher, the redrive ----------------------------------------

  /**
   * The event source gathers a batch for up to its window after the first message, and invokes at once
   * when the batch is full.
   */
  private scheduleStarter(): void {
    if (this.starterBatches >= STARTER_CONCURRENCY) return;
    if (this.queriesQueue.depth >= BATCH_SIZE) {
      this.starterScheduled = false;
      this.starterTimer++;
      void this.starterInvocation();
      return;
    }
    if (this.starterScheduled) return;
    this.starterScheduled = true;
    const timer = ++this.starterTimer;
    this.clock.at(this.clock.nowMs + STARTER_WINDOW_MS, () => {
      if (timer === this.starterTimer) void this.starterInvocation();
    });
  }

  /** One starter Lambda invocation: a batch of `queries`, each through the real `handleQueryMessage`. */
  private async starterInvocation(): Promise<void> {
    this.starterScheduled = false;
    const batch = this.queriesQueue.take(BATCH_SIZE);
    if (batch.length === 0) return;
    this.starterBatches++;
    this.requests.lambdaRuns.starter++;
    this.requests.runTimes.push(this.clock.nowMs);
    this.requests.sqsStandard += 2; // the event source's receive and batch delete
    this.scheduleStarter(); // more batches may run alongside, up to the event source's concurrency
    const began = this.clock.nowMs;
    for (const message of batch) {
      const result = await handleQueryMessage(message, {
        config: this.options.config,
        ledger: this.ledger,
        executions: { start: (name, input) => this.startExecution(name, input) },
        metrics: NO_METRICS,
        clock: () => this.now(),
        // The event source deletes the batch (its request is counted above).
        queries: { delete: async () => {}, changeVisibility: async () => {} },
        failed: this.failedQueue,
      });
      // Nothing the simulator's starter calls fails: a retry is a defect of the simulation.
      if (result.kind === 'retry') throw result.error;
    }
    this.requests.lambdaMs += this.clock.nowMs - began;
    this.starterBatches--;
    if (this.queriesQueue.depth > 0) this.scheduleStarter();
  }

  private wake(event: WakeEvent): void {
    this.requests.sqsFifo++;
    this.wakeQueue.push(event);
    this.scheduleDispatcher();
  }

  private scheduleDispatcher(): void {
    if (this.dispatcherBusy || this.dispatcherScheduled || this.wakeQueue.length === 0) return;
    this.dispatcherScheduled = true;
    this.clock.at(this.clock.nowMs + this.latency.eventSource, () => void this.dispatcherInvocation());
  }

  /**
   * One dispatcher Lambda invocation: a batch of the FIFO wake queue (one message group: one batch at a
   * time) through the real `dispatchInvocation`, which the Lambda handler runs too.
   */
  private async dispatcherInvocation(): Promise<void> {
    this.dispatcherScheduled = false;
    this.dispatcherBusy = true;
    const batch = this.wakeQueue.splice(0, BATCH_SIZE);
    this.requests.lambdaRuns.dispatcher++;
    const onlySweeps = batch.every((e) => e.type === 'sweep' && e.why === 'schedule');
    (onlySweeps ? this.requests.sweepRunTimes : this.requests.runTimes).push(this.clock.nowMs);
    this.requests.sqsFifo += 2;
    const began = this.clock.nowMs;
    const summary = await dispatchInvocation(batch, this.dispatcherDeps, {
      budgetMs: INVOCATION_BUDGET_MS,
      sleep: (ms) => this.clock.sleep(ms),
      elapsedMs: () => this.clock.nowMs - began,
    });
    this.requests.lambdaMs += this.clock.nowMs - began;
    if (summary.nextPassInMs !== undefined) this.wake({ type: 'sweep', why: 'start rate' });
    this.dispatcherBusy = false;
    this.scheduleDispatcher();
  }

  private async redriveTick(): Promise<void> {
    if (this.deferredQueue.depth === 0) return;
    this.requests.lambdaRuns.redrive++;
    const summary = await redriveDeferred({
      config: this.options.config,
      ledger: this.ledger,
      metrics: NO_METRICS,
      clock: () => this.now(),
      deferred: this.deferredQueue,
      queries: this.strategy === 'athena-wlm' ? this.queriesQueue : this.retryOnlyRequeue(),
      failed: this.failedQueue,
    });
    this.redrives += summary.redriven;
  }

  /** retry-only has no starter: a redriven message starts its next execution directly. */
  private retryOnlyRequeue(): MessageQueue {
    return {
      receive: async () => [],
      delete: async () => {},
      changeVisibility: async () => {},
      send: async (body) => {
        const { queryId, attempt } = JSON.parse(body) as { queryId: string; attempt: number };
        const query = this.byQueryId.get(queryId);
        if (query) void this.runExecution(query, attempt, { line: false });
      },
    };
  }

  // --- run-query -----------------------------------------------------------------------------------

  private async startExecution(name: string, input: RunQueryInput): Promise<StartExecutionResult> {
    this.requests.stepFunctionsApi++;
    await this.clock.sleep(this.latency.stepFunctionsCall);
    const arn = `arn:aws:states:sim:0:execution:run-query:${name}`;
    if (this.executions.has(arn)) return { status: 'already-exists' };
    const query = this.byQueryId.get(input.queryId);
    if (!query) throw new Error(`no query ${input.queryId}`);
    void this.runExecution(query, input.attempt, { line: true, arn, input });
    return { status: 'started', executionArn: arn };
  }

  private async stop(arn: string): Promise<void> {
    this.requests.stepFunctionsApi++;
    await this.clock.sleep(this.latency.stepFunctionsCall);
    this.executions.get(arn)?.stop();
  }

  /**
   * One run-query execution: EnterLine (athena-wlm only) waits for its task token, MarkRunning, then
   * StartQuery with the definition's throttling retrier, the run, and ReleaseSlot and the ledger write
   * of its outcome; deferred to the redrive when throttling outlasts the retries.
   */
  private async runExecution(
    query: QueryOutcome,
    attempt: number,
    how: { line: false } | { line: true; arn: string; input: RunQueryInput },
  ): Promise<void> {
    const arn = how.line ? how.arn : `arn:aws:states:sim:0:execution:run-query:${query.queryId}.a${attempt}`;
    let stop!: () => void;
    const stoppedSignal = new Promise<'stopped'>((resolve) => {
      stop = () => resolve('stopped');
    });
    const execution: SimExecution = {
      arn,
      stopped: false,
      stop: () => {
        execution.stopped = true;
        stop();
      },
      stoppedSignal,
    };
    this.executions.set(arn, execution);
    query.executions++;
    this.executionsStarted++;
    this.live.set(query.queryId, (this.live.get(query.queryId) ?? 0) + 1);
    try {
      await this.execute(query, attempt, how, execution);
    } finally {
      this.live.set(query.queryId, (this.live.get(query.queryId) ?? 1) - 1);
    }
  }

  private async execute(
    query: QueryOutcome,
    attempt: number,
    how: { line: false } | { line: true; arn: string; input: RunQueryInput },
    execution: SimExecution,
  ): Promise<void> {
    const { arn, stoppedSignal } = execution;
    const ledger = this.stateLedger;
    const step = async (states: number) => {
      this.requests.transitions += states;
      await this.clock.sleep(states * this.latency.stateTransition);
    };

    if (how.line) {
      const token = `${arn}#enter`;
      const answer = this.tokens.wait(token);
      this.wake({
        type: 'enter',
        queryId: query.queryId,
        className: query.className,
        submittedAt: how.input.submittedAt,
        waitUntil: how.input.waitUntil,
        attempt,
        sentAt: this.now().toISOString(),
        executionArn: arn,
        taskToken: token,
      });
      const timeout = this.clock.sleep(how.input.queueWaitSeconds * 1000).then(() => 'timeout' as const);
      const outcome = await Promise.race([answer, timeout, stoppedSignal]);
      if (outcome === 'stopped') return;
      if (outcome === 'timeout') {
        this.tokens.drop(token);
        await step(transitionsOf(PATHS.waitedTooLong));
        this.wake({
          type: 'leave',
          why: 'timed-out',
          queryId: query.queryId,
          className: query.className,
          submittedAt: how.input.submittedAt,
          executionArn: arn,
        });
        await ledger.update(query.queryId, { status: 'FAILED' }, ['QUEUED', 'WAITING_FOR_SLOT']);
        this.fail(query, 'QueueWaitExceeded');
        return;
      }
      if (!outcome.ok) {
        this.fail(query, outcome.error);
        return;
      }
      const running = await ledger.update(
        query.queryId,
        { status: 'RUNNING', executionArn: arn, attempts: attempt },
        ['QUEUED', 'WAITING_FOR_SLOT'],
      );
      if (!running) {
        await step(transitionsOf(PATHS.notStartable));
        this.wake({ type: 'release', queryId: query.queryId, executionArn: arn });
        return;
      }
    }
    await step(transitionsOf(PATHS.enter) - (how.line ? 0 : 1));

    const { intervalSeconds, backoffRate, maxDelaySeconds, maxAttempts } = this.retrier;
    for (let retry = 0; ; retry++) {
      if (execution.stopped) return;
      const answer = this.tryStart(query);
      if (answer === 'started') break;
      // API-rate throttling is not retried in place: the query is deferred at once (RateLimited).
      if (answer === 'rate' || retry >= maxAttempts) {
        await step(transitionsOf(answer === 'rate' ? PATHS.rateLimited : PATHS.deferred) - 1);
        if (how.line) this.wake({ type: 'release', queryId: query.queryId, executionArn: arn });
        await this.deferredQueue.send(
          JSON.stringify({ queryId: query.queryId, className: query.className, attempt: attempt + 1 }),
        );
        if (how.line)
          await ledger.update(
            query.queryId,
            { status: 'DEFERRED' },
            { statuses: ['RUNNING'], executionArn: arn },
          );
        else await this.retryOnlyRecord(query, attempt);
        return;
      }
      const ceiling = Math.min(maxDelaySeconds, intervalSeconds * backoffRate ** retry);
      await this.clock.sleep(this.random() * ceiling * 1000);
      await step(1);
    }

    const startedRun = this.clock.nowMs;
    const ended = await Promise.race([
      this.clock.sleep(query.runtime * 1000).then(() => 'done' as const),
      stoppedSignal,
    ]);
    this.athenaEnded();
    if (ended === 'stopped') {
      // Pre-empted: the dispatcher wrote the ledger, freed the slot and started the next attempt.
      query.preemptions++;
      this.preemptions++;
      query.lostWorkSeconds += (this.clock.nowMs - startedRun) / 1000;
      query.startedAt = undefined;
      query.status = 'waiting';
      this.mark();
      this.waitingToStart++;
      return;
    }
    await step(transitionsOf(PATHS.succeeded) - 1);
    if (how.line) {
      this.wake({ type: 'release', queryId: query.queryId, executionArn: arn });
      await ledger.update(
        query.queryId,
        { status: 'SUCCEEDED' },
        { statuses: ['RUNNING'], executionArn: arn },
      );
    }
    this.complete(query);
  }

  /** retry-only's ledger, as far as its redrive needs it: the attempt that was deferred. */
  private async retryOnlyRecord(query: QueryOutcome, attempt: number): Promise<void> {
    const ledger = this.stateLedger;
    const existing = await ledger.get(query.queryId);
    if (!existing) {
      await ledger.create({
        queryId: query.queryId,
        className: query.className,
        query: `SELECT ${query.id}`,
        database: 'default',
        catalog: 'AwsDataCatalog',
        submittedAt: new Date(SIM_EPOCH_MS + query.arrivedAt * 1000).toISOString(),
        status: 'DEFERRED',
        attempts: attempt,
        redrives: 0,
        updatedAt: this.now().toISOString(),
      });
    } else {
      await ledger.update(query.queryId, { status: 'DEFERRED', attempts: attempt });
    }
  }

  private result(): SimResult {
    const unfinished = this.queries.filter((q) => q.status === 'waiting' || q.status === 'running');
    const queued = new Set([...this.queriesQueue.queryIds(), ...this.deferredQueue.queryIds()]);
    return {
      strategy: this.strategy,
      quota: this.options.quota,
      capacity: this.capacity,
      horizonSeconds: this.options.horizonSeconds,
      queries: this.queries,
      startAttempts: this.startAttempts,
      throttledAttempts: this.throttledAttempts,
      rateLimitedAttempts: this.rateLimitedAttempts,
      executions: this.executionsStarted,
      redrives: this.redrives,
      preemptions: this.preemptions,
      requests: this.requests,
      busyWhileWaiting: this.backloggedMs > 0 ? this.busyArea / this.backloggedMs : 0,
      backloggedSeconds: this.backloggedMs / 1000,
      peakOwnConcurrent: this.peakOwn,
      peakTotalConcurrent: this.peakTotal,
      outsideSubmitted: this.outsideSubmitted,
      outsideRejected: this.outsideRejected,
      // Accepted, not ended, and nothing (a message, a waiting or running execution) left to end it.
      lost: unfinished.filter(
        (q) => !queued.has(q.queryId) && !(this.live.get(q.queryId) ?? 0) && !this.sampleDlq.includes(q),
      ).length,
    };
  }
}

const NO_METRICS: Metrics = {
  count(_name: MetricName) {},
  milliseconds() {},
};
