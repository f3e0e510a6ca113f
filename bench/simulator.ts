/**
 * A deterministic discrete-event model of Athena's concurrent-query quota and of three ways to feed it:
 * the reference sample, athena-wlm's retry path alone, and athena-wlm with admission. Admission is the
 * product's own first-come line per class (`admitInLine`, `applySlotChanges`, `ticketTtlMs`, written
 * through the slot stores' `planSlotWrite`), the starter's queue-wait limit and `slotWaitSeconds`;
 * only Athena, SQS and Step Functions are modelled.
 */
import { planSlotWrite, type SlotItem } from '../functions/adapters/slot-item';
import { type AdmissionPolicy, decideAdmission, usageOf } from '../functions/core/admission';
import { admissionPolicy } from '../functions/core/admission-policy';
import {
  admitInLine,
  applySlotChanges,
  type SlotChanges,
  type SlotState,
  ticketTtlMs,
} from '../functions/core/slot-queue';
import { slotWaitSeconds } from '../functions/core/slot-wait';
import type { WlmConfig } from '../lib/config';
import { deriveSeed, mulberry32, type Random } from './random';
import type { Arrival, Trace } from './scenarios';

export const STRATEGIES = ['reference-sample', 'retry-only', 'athena-wlm'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Step Functions Standard price per state transition (us-east-1). */
export const PRICE_PER_TRANSITION = 0.025 / 1000;

/**
 * Billed state transitions of the run-query state machine (state-machines/run-query.asl.json), counted as
 * states entered; each retry of StartQuery is one more.
 *   started:   MarkRunning, StartQuery (+1 per retry)
 *   succeeded: QuerySucceeded, ReleaseSlot, RouteOutcome, RecordSucceeded, Succeeded
 *   deferred:  ThrottledTooLong, ReleaseSlot, RouteOutcome, SendToDeferredQueue, RecordDeferred, Deferred
 */
export const TRANSITIONS = { markRunning: 1, startQueryEntry: 1, succeededTail: 5, deferredTail: 6 } as const;

export type QueryStatus =
  | 'queued' // a message on the queue, about to be looked at
  | 'waiting-for-slot' // athena-wlm: refused by admission, back on the queue after a slot wait
  | 'starting' // an execution is retrying a throttled start
  | 'deferred' // throttled too long: on the deferred queue (or the sample's "dead letter" queue)
  | 'running'
  | 'completed'
  | 'failed'; // given up: past the redrive cap, parked after too many slot waits, or waited past its limit

/** Why a query ended FAILED without running. */
export type FailureCode =
  /** Throttled on more executions than the redrive cap allows. */
  | 'RedriveCapExceeded'
  /** athena-wlm: its message was received more than `admission.maxReceives` times (SQS parks it). */
  | 'Parked'
  /** athena-wlm: the starter found it waited longer than its class's `maxQueueWaitMinutes`. */
  | 'QueueWaitExceeded';

/** Simulated wall clock: second 0 of a run is this instant (the slot line orders by ISO timestamps). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The queryId athena-wlm's slot store sees: zero-padded so that string order is arrival order. */
export const queryIdOf = (id: number) => `q${String(id).padStart(7, '0')}`;

export interface QueryOutcome {
  readonly id: number;
  readonly className: string;
  readonly arrivedAt: number;
  status: QueryStatus;
  /** When Athena accepted the start that ran (undefined if it never started). */
  startedAt?: number;
  finishedAt?: number;
  /** StartQueryExecution calls made for this query (billed Athena API attempts). */
  startAttempts: number;
  /** Of those, rejected with TooManyRequestsException. */
  throttled: number;
  /** Step Functions executions (athena-wlm and retry-only), or DLQ round trips (the sample). */
  executions: number;
  redrives: number;
  /** athena-wlm: times the starter found no slot for it. */
  slotWaits: number;
  failureReason?: string;
  failureCode?: FailureCode;
  /** athena-wlm: when it first took a slot (undefined if never). */
  admittedAt?: number;
  /** athena-wlm: when its first attempt was first refused a slot, i.e. joined its class's line. */
  lineSince?: number;
  /** athena-wlm: when its first attempt was last refused a slot. */
  lastRefusedAt?: number;
  /** Internal: the attempt number carried by its message (1, then +1 per deferral). */
  attempt: number;
  holdsSlot: boolean;
}

export interface SimOptions {
  readonly config: WlmConfig;
  readonly seed: number;
  readonly horizonSeconds: number;
  /** Samples of own and total concurrency every this many seconds (0: none). */
  readonly sampleEverySeconds?: number;
  /**
   * athena-wlm's admission: `line` (default) is the product's first-come line per class (`admitInLine`);
   * `no-line` is the plain `decideAdmission` the product used before the benchmark, where any look may
   * take a free slot, so a newcomer can pass older waiting queries.
   */
  readonly admission?: 'line' | 'no-line';
}

export interface SimResult {
  readonly strategy: StrategyName;
  readonly quota: number;
  readonly capacity: number;
  readonly horizonSeconds: number;
  readonly queries: readonly QueryOutcome[];
  readonly startAttempts: number;
  /** `ThrottlingErrorCount`: TooManyRequests responses to our own starts. */
  readonly throttledAttempts: number;
  readonly sfnTransitions: number;
  readonly executions: number;
  /** `RestartQueryCount`: deferred queries moved back to the main queue. */
  readonly redrives: number;
  /** athena-wlm: starter looks that found no slot (each an SQS receive + Lambda invocation). */
  readonly slotWaitLooks: number;
  /** athena-wlm: writes of the slot item by acquires (planSlotWrite said something changed). */
  readonly slotItemWrites: number;
  /** athena-wlm: most waiting tickets in the slot item at once. */
  readonly peakWaitingTickets: number;
  /** Most of our own queries active in Athena at once. */
  readonly peakOwnConcurrent: number;
  /** Most queries active in Athena at once, ours plus outside traffic (never above the quota). */
  readonly peakTotalConcurrent: number;
  /** athena-wlm: most slots held at once (admitted, starting or running). */
  readonly peakSlotsHeld: number;
  /** athena-wlm: most slots held at once per class. */
  readonly peakSlotsByClass: Readonly<Record<string, number>>;
  readonly outsideSubmitted: number;
  /** Console queries Athena rejected because the quota was full. */
  readonly outsideRejected: number;
  /** Mean of our own queries active in Athena over the time when at least one of ours waited to start. */
  readonly meanOwnActiveWhileBacklogged: number;
  /** Seconds during which at least one of our queries had arrived and not started. */
  readonly backloggedSeconds: number;
  /** [time, own active, total active] samples. */
  readonly samples: readonly (readonly [number, number, number])[];
}

type SimEvent =
  | { readonly kind: 'arrive'; readonly query: QueryOutcome; readonly runtime: number }
  | { readonly kind: 'receive'; readonly query: QueryOutcome; readonly receiveCount: number }
  | { readonly kind: 'attempt'; readonly query: QueryOutcome; readonly retry: number }
  | { readonly kind: 'finish'; readonly query: QueryOutcome }
  | { readonly kind: 'redrive-tick' }
  | { readonly kind: 'outside-arrive'; readonly runtime: number }
  | { readonly kind: 'outside-finish' }
  | { readonly kind: 'sample' };

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly event: SimEvent;
}

/** A binary min-heap on (time, insertion order): ties resolve in the order events were scheduled. */
class EventQueue {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, event: SimEvent): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, event });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  pop(): Scheduled | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Scheduled, b: Scheduled) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Runs one strategy over one trace. Same trace, config and seed: same result, to the last figure. */
export function simulate(strategy: StrategyName, trace: Trace, options: SimOptions): SimResult {
  return withMemoizedDateParse(() => new Simulation(strategy, trace, options).run());
}

/**
 * `admitInLine` parses every waiting ticket's `lastSeenAt` on every look, and `Date.parse` of an ISO
 * string costs about 0.5 us: with 200 tickets that was nine tenths of the simulator's time. While a
 * (synchronous) simulation runs, Date.parse answers repeated strings from a cache: the same values, faster.
 */
function withMemoizedDateParse<T>(run: () => T): T {
  const original = Date.parse;
  const cache = new Map<string, number>();
  Date.parse = (text: string) => {
    let parsed = cache.get(text);
    if (parsed === undefined) {
      parsed = original(text);
      cache.set(text, parsed);
    }
    return parsed;
  };
  try {
    return run();
  } finally {
    Date.parse = original;
  }
}

class Simulation {
  private readonly events = new EventQueue();
  private readonly random: Random;
  private readonly quota: number;
  private readonly policy: AdmissionPolicy;
  private readonly queries: QueryOutcome[] = [];
  private readonly runtimes = new Map<number, number>();
  private readonly submittedAt = new Map<number, string>();
  /** The sample's "dead letter" queue, or athena-wlm's `queries-deferred`: FIFO. */
  private deferred: QueryOutcome[] = [];
  /** athena-wlm: the slot item's holders and waiting tickets, as the slot stores keep them. */
  private slotState: SlotState = { holders: [], waiting: [] };
  /** The same, in the slot item's layout, kept in step with `slotState` for `planSlotWrite`. */
  private readonly slotItem = { holders: {}, waiting: {}, version: 0 } satisfies SlotItem as {
    holders: Record<string, { className: string; acquiredAt: string }>;
    waiting: Record<string, { className: string; submittedAt: string; lastSeenAt: string }>;
    version: number;
  };
  private readonly ticketTtlMs: number;
  private readonly peakSlotsByClass: Record<string, number> = {};
  private readonly samples: [number, number, number][] = [];
  private now = 0;
  private ownActive = 0;
  private outsideActive = 0;
  private slotsHeld = 0;
  private startAttempts = 0;
  private throttledAttempts = 0;
  private sfnTransitions = 0;
  private executions = 0;
  private redrives = 0;
  private slotWaitLooks = 0;
  private slotItemWrites = 0;
  private peakWaitingTickets = 0;
  private peakOwn = 0;
  private peakTotal = 0;
  private peakSlots = 0;
  private outsideSubmitted = 0;
  private outsideRejected = 0;
  /** Arrived, neither started nor given up. */
  private backlog = 0;
  private backloggedSeconds = 0;
  private backloggedArea = 0;

  constructor(
    private readonly strategy: StrategyName,
    private readonly trace: Trace,
    private readonly options: SimOptions,
  ) {
    this.random = mulberry32(deriveSeed(options.seed, 'strategy', strategy));
    const quota = options.config.quota.activeDmlQueries;
    if (typeof quota !== 'number') throw new Error('the simulator needs a numeric quota.activeDmlQueries');
    this.quota = quota;
    this.policy = admissionPolicy(options.config);
    this.ticketTtlMs = ticketTtlMs(options.config.admission);
  }

  run(): SimResult {
    const { horizonSeconds, config } = this.options;
    for (const a of this.trace.arrivals) this.events.push(a.at, { kind: 'arrive', ...this.newQuery(a) });
    for (const o of this.trace.outside)
      this.events.push(o.at, { kind: 'outside-arrive', runtime: o.runtime });
    const tickSeconds = this.strategy === 'reference-sample' ? 60 : config.redrive.everyMinutes * 60;
    this.events.push(tickSeconds, { kind: 'redrive-tick' });
    const sampleEvery = this.options.sampleEverySeconds ?? 0;
    if (sampleEvery > 0) this.events.push(0, { kind: 'sample' });

    for (let next = this.events.pop(); next && next.at <= horizonSeconds; next = this.events.pop()) {
      if (this.backlog > 0) {
        this.backloggedSeconds += next.at - this.now;
        this.backloggedArea += this.ownActive * (next.at - this.now);
      }
      this.now = next.at;
      const e = next.event;
      switch (e.kind) {
        case 'arrive':
          this.runtimes.set(e.query.id, e.runtime);
          this.queries.push(e.query);
          this.backlog++;
          this.receive(e.query, 1);
          break;
        case 'receive':
          this.receive(e.query, e.receiveCount);
          break;
        case 'attempt':
          this.attempt(e.query, e.retry);
          break;
        case 'finish':
          this.finish(e.query);
          break;
        case 'redrive-tick':
          this.redriveTick();
          this.events.push(this.now + tickSeconds, { kind: 'redrive-tick' });
          break;
        case 'outside-arrive':
          this.outsideSubmitted++;
          if (this.ownActive + this.outsideActive >= this.quota) {
            this.outsideRejected++;
          } else {
            this.outsideActive++;
            this.notePeaks();
            this.events.push(this.now + e.runtime, { kind: 'outside-finish' });
          }
          break;
        case 'outside-finish':
          this.outsideActive--;
          break;
        case 'sample':
          this.samples.push([this.now, this.ownActive, this.ownActive + this.outsideActive]);
          this.events.push(this.now + sampleEvery, { kind: 'sample' });
          break;
      }
    }

    return {
      strategy: this.strategy,
      quota: this.quota,
      capacity: this.policy.capacity,
      horizonSeconds,
      queries: this.queries,
      startAttempts: this.startAttempts,
      throttledAttempts: this.throttledAttempts,
      sfnTransitions: this.sfnTransitions,
      executions: this.executions,
      redrives: this.redrives,
      slotWaitLooks: this.slotWaitLooks,
      slotItemWrites: this.slotItemWrites,
      peakWaitingTickets: this.peakWaitingTickets,
      peakOwnConcurrent: this.peakOwn,
      peakTotalConcurrent: this.peakTotal,
      peakSlotsHeld: this.peakSlots,
      peakSlotsByClass: this.peakSlotsByClass,
      outsideSubmitted: this.outsideSubmitted,
      outsideRejected: this.outsideRejected,
      meanOwnActiveWhileBacklogged: this.backloggedSeconds ? this.backloggedArea / this.backloggedSeconds : 0,
      backloggedSeconds: this.backloggedSeconds,
      samples: this.samples,
    };
  }

  private newQuery(a: Arrival): { query: QueryOutcome; runtime: number } {
    return {
      query: {
        id: a.id,
        className: a.className,
        arrivedAt: a.at,
        status: 'queued',
        startAttempts: 0,
        throttled: 0,
        executions: 0,
        redrives: 0,
        slotWaits: 0,
        attempt: 1,
        holdsSlot: false,
      },
      runtime: a.runtime,
    };
  }

  /** A consumer looks at the query's message (SQS to Lambda is taken as instant). */
  private receive(query: QueryOutcome, receiveCount: number): void {
    switch (this.strategy) {
      case 'reference-sample':
        // The executor Lambda calls StartQueryExecution once; any error sends the message to the DLQ.
        query.executions++;
        this.executions++;
        if (!this.tryStart(query)) {
          query.status = 'deferred';
          this.deferred.push(query);
        }
        return;
      case 'retry-only':
        this.startExecution(query);
        return;
      case 'athena-wlm': {
        // SQS parks a message received more than maxReceiveCount times in `queries-failed`.
        const { maxReceives } = this.options.config.admission;
        if (receiveCount > maxReceives) {
          this.fail(query, 'Parked', `parked after ${maxReceives} receives without a slot`);
          return;
        }
        // The starter (functions/core/start-query.ts): a first attempt that waited past its class's
        // maxQueueWaitMinutes ends FAILED (QueueWaitExceeded) before it asks for a slot.
        const now = this.clock();
        const limitMinutes = this.options.config.classes[query.className]?.maxQueueWaitMinutes ?? Infinity;
        const waitedMs = now.getTime() - Date.parse(this.submittedAtOf(query));
        if (waitedMs > limitMinutes * 60_000 && query.attempt === 1) {
          this.fail(
            query,
            'QueueWaitExceeded',
            `waited ${Math.round(waitedMs / 60_000)} minutes for a slot, longer than maxQueueWaitMinutes (${limitMinutes})`,
          );
          return;
        }
        if (this.acquireSlot(query, now)) {
          query.holdsSlot = true;
          query.admittedAt ??= this.now;
          this.slotsHeld++;
          this.peakSlots = Math.max(this.peakSlots, this.slotsHeld);
          const mine = this.slotState.holders.filter((h) => h.className === query.className).length;
          this.peakSlotsByClass[query.className] = Math.max(
            this.peakSlotsByClass[query.className] ?? 0,
            mine,
          );
          this.startExecution(query);
          return;
        }
        this.slotWaitLooks++;
        query.slotWaits++;
        if (query.attempt === 1) {
          query.lineSince ??= this.now;
          query.lastRefusedAt = this.now;
        }
        query.status = 'waiting-for-slot';
        const delay = slotWaitSeconds(receiveCount, this.options.config.admission, this.random);
        this.events.push(this.now + delay, { kind: 'receive', query, receiveCount: receiveCount + 1 });
        return;
      }
    }
  }

  /** The simulated wall clock (whole milliseconds, as the slot item's ISO timestamps). */
  private clock(): Date {
    return new Date(SIM_EPOCH_MS + this.now * 1000);
  }

  /** The ledger's `submittedAt` of a query: the order of its class's line. */
  private submittedAtOf(query: QueryOutcome): string {
    let submittedAt = this.submittedAt.get(query.id);
    if (submittedAt === undefined) {
      submittedAt = new Date(SIM_EPOCH_MS + query.arrivedAt * 1000).toISOString();
      this.submittedAt.set(query.id, submittedAt);
    }
    return submittedAt;
  }

  /**
   * `slots.acquire(queryId, class, policy, {submittedAt, ticketTtlMs})` as the slot stores do it: read the
   * item, decide with `admitInLine`, write what `planSlotWrite` says needs writing (a ticket renewed within
   * half its TTL is not rewritten; a line of MAX_WAITING_TICKETS takes no more), and apply it.
   */
  private acquireSlot(query: QueryOutcome, now: Date): boolean {
    const queryId = queryIdOf(query.id);
    if (this.options.admission === 'no-line') {
      if (!decideAdmission(this.policy, usageOf(this.slotState.holders), query.className).admitted)
        return false;
      const holder = { queryId, className: query.className, acquiredAt: now.toISOString() };
      this.slotState = { ...this.slotState, holders: [...this.slotState.holders, holder] };
      this.slotItem.holders[queryId] = { className: holder.className, acquiredAt: holder.acquiredAt };
      return true;
    }
    const request = { queryId, className: query.className, submittedAt: this.submittedAtOf(query) };
    const { decision, changes } = admitInLine(this.slotState, request, this.policy, now, this.ticketTtlMs);
    const write = planSlotWrite(this.slotItem, changes, now, this.ticketTtlMs);
    if (write) {
      // The simulated item always exists, so the write is an update; apply exactly what it writes.
      const applied = written(changes, write.kind === 'update' ? write : undefined);
      this.slotItemWrites++;
      this.slotState = applySlotChanges(this.slotState, applied);
      const item = this.slotItem;
      item.version++;
      if (applied.addHolder) {
        const { queryId: id, className, acquiredAt } = applied.addHolder;
        item.holders[id] = { className, acquiredAt };
      }
      for (const id of applied.removeTickets) delete item.waiting[id];
      if (applied.putTicket) {
        const { queryId: id, className, submittedAt, lastSeenAt } = applied.putTicket;
        item.waiting[id] = { className, submittedAt, lastSeenAt };
      }
      this.peakWaitingTickets = Math.max(this.peakWaitingTickets, this.slotState.waiting.length);
    }
    return decision.admitted;
  }

  private startExecution(query: QueryOutcome): void {
    query.executions++;
    this.executions++;
    query.status = 'starting';
    this.sfnTransitions += TRANSITIONS.markRunning;
    this.attempt(query, 0);
  }

  /** The StartQuery task state: one call, and on throttling a retry with backoff and full jitter. */
  private attempt(query: QueryOutcome, retry: number): void {
    this.sfnTransitions += TRANSITIONS.startQueryEntry;
    if (this.tryStart(query)) return;
    const { intervalSeconds, backoffRate, maxDelaySeconds, maxAttempts } = this.options.config.throttleRetry;
    if (retry < maxAttempts) {
      const ceiling = Math.min(maxDelaySeconds, intervalSeconds * backoffRate ** retry);
      this.events.push(this.now + this.random() * ceiling, { kind: 'attempt', query, retry: retry + 1 });
      return;
    }
    this.sfnTransitions += TRANSITIONS.deferredTail;
    this.releaseSlot(query);
    query.status = 'deferred';
    query.attempt++;
    this.deferred.push(query);
  }

  /** StartQueryExecution: accepted while running + queued is below the quota, else TooManyRequests. */
  private tryStart(query: QueryOutcome): boolean {
    query.startAttempts++;
    this.startAttempts++;
    if (this.ownActive + this.outsideActive >= this.quota) {
      query.throttled++;
      this.throttledAttempts++;
      return false;
    }
    this.ownActive++;
    this.backlog--;
    this.notePeaks();
    query.status = 'running';
    query.startedAt = this.now;
    this.events.push(this.now + (this.runtimes.get(query.id) ?? 0), { kind: 'finish', query });
    return true;
  }

  private finish(query: QueryOutcome): void {
    this.ownActive--;
    query.status = 'completed';
    query.finishedAt = this.now;
    if (this.strategy !== 'reference-sample') this.sfnTransitions += TRANSITIONS.succeededTail;
    this.releaseSlot(query);
  }

  /** The state machine's ReleaseSlot: `REMOVE holders.<queryId>` (tickets are left alone). */
  private releaseSlot(query: QueryOutcome): void {
    if (!query.holdsSlot) return;
    query.holdsSlot = false;
    const queryId = queryIdOf(query.id);
    this.slotState = {
      ...this.slotState,
      holders: this.slotState.holders.filter((h) => h.queryId !== queryId),
    };
    delete this.slotItem.holders[queryId];
    this.slotsHeld--;
  }

  /** Ends a query FAILED. A waiting ticket it leaves stays in the line until its TTL drops it, as on AWS. */
  private fail(query: QueryOutcome, code: FailureCode, reason: string): void {
    query.status = 'failed';
    this.backlog--; // it never started, and no longer waits
    query.failureCode = code;
    query.failureReason = reason;
    query.finishedAt = this.now;
  }

  /**
   * The sample: every minute, the whole DLQ goes back at once and is tried at once, forever.
   * athena-wlm: every `redrive.everyMinutes`, at most `maxMessagesPerRun` oldest deferred queries go back
   * to the queue; one past `maxRedrives` is parked FAILED instead.
   */
  private redriveTick(): void {
    if (this.deferred.length === 0) return;
    if (this.strategy === 'reference-sample') {
      const batch = this.deferred;
      this.deferred = [];
      for (const query of batch) {
        query.redrives++;
        this.redrives++;
        query.status = 'queued';
        this.receive(query, 1);
      }
      return;
    }
    const { maxMessagesPerRun, maxRedrives } = this.options.config.redrive;
    const batch = this.deferred.splice(0, maxMessagesPerRun);
    for (const query of batch) {
      const redrives = query.attempt - 1;
      if (redrives > maxRedrives) {
        this.fail(
          query,
          'RedriveCapExceeded',
          `throttled on ${query.executions} executions; redriven ${maxRedrives} times`,
        );
        continue;
      }
      query.redrives = redrives;
      this.redrives++;
      query.status = 'queued';
      this.receive(query, 1);
    }
  }

  private notePeaks(): void {
    this.peakOwn = Math.max(this.peakOwn, this.ownActive);
    this.peakTotal = Math.max(this.peakTotal, this.ownActive + this.outsideActive);
  }
}

/**
 * The part of an admission's changes that a `planSlotWrite` update writes: the ticket only when the
 * write sets it (the simulated item always has its `waiting` map, so a ticket is set as `#waiting.#ticket`),
 * removals only of the tickets it names. `undefined` (a put of a new item): all of them.
 */
function written(
  changes: SlotChanges,
  update: { readonly ExpressionAttributeNames: Record<string, string> } | undefined,
): SlotChanges {
  if (!update) return changes;
  const names = update.ExpressionAttributeNames;
  const gone = new Set(
    Object.entries(names)
      .filter(([key]) => key.startsWith('#gone'))
      .map(([, id]) => id),
  );
  const ticket = changes.putTicket;
  return {
    addHolder: changes.addHolder,
    putTicket: ticket && names['#ticket'] === ticket.queryId ? ticket : undefined,
    removeTickets: changes.removeTickets.filter((id) => gone.has(id)),
  };
}
