import type { WlmConfig } from '../../contracts/config';
import { executionName } from '../../contracts/execution-naming';
import { classDimension } from '../../contracts/metrics';
import { isTerminal } from '../../contracts/query-status';
import { admissionPolicy } from './admission-policy';
import { type DispatchPlan, planDispatch, type RunningQuery, type WaitingQuery } from './dispatch-policy';
import type {
  Clock,
  DispatchStore,
  ExecutionControl,
  ExecutionStarter,
  Ledger,
  LineEntry,
  Metrics,
  SlotHolder,
  TaskTokens,
} from './ports';
import { runQueryInputFor } from './run-query-input';
import type { StartRate } from './start-rate';
import {
  LINE_CANCELLED_ERROR,
  PREEMPTED_STOP_ERROR,
  UNKNOWN_CLASS_ERROR,
  type WakeEvent,
  wakeEventSchema,
} from './wake-event';

export interface DispatcherDeps {
  readonly config: WlmConfig;
  readonly store: DispatchStore;
  readonly tokens: TaskTokens;
  readonly ledger: Ledger;
  /** Starts the re-run of a pre-empted query and stops the pre-empted execution. */
  readonly executions: ExecutionStarter & Pick<ExecutionControl, 'stop'>;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** Kept by the caller across passes: the StartQueryExecution rate the dispatcher never passes. */
  readonly rate: StartRate;
  /** The live Active DML quota, when the config reads it from Service Quotas. */
  readonly liveQuota?: () => Promise<number>;
}

export interface DispatchSummary {
  /** Events that were not wake events (logged and dropped). */
  readonly invalid: number;
  readonly admitted: number;
  readonly preempted: number;
  readonly rejected: number;
  /** Queries still waiting among the heads of the lines read. */
  readonly waiting: number;
  /**
   * Admissions whose AWS calls failed (a throttled SendTaskSuccess, say): each stays in its line, and a
   * pass after ADMIT_RETRY_MS tries it again, so one failed call never holds up the whole line.
   */
  readonly failedAdmissions: readonly { readonly queryId: string; readonly error: string }[];
  /** Set when queries wait only for the start rate, or admissions failed: run another pass after this many ms. */
  readonly nextPassInMs?: number;
}

/** Times a plan is made again when a pre-emption finds its victim already gone. */
const MAX_PLANS = 3;
/** How soon a pass runs again after admissions failed. */
export const ADMIT_RETRY_MS = 1000;
/** Admissions whose AWS calls (slot, token, line) run at once: a start rate's worth, within the SDK's 50 sockets. */
const ADMIT_CONCURRENCY = 25;
/**
 * How long past its wait limit a line entry stays for its execution's own leave message (the timeout
 * path sends one); after that the dispatcher drops it, so stale entries never hide a line.
 */
export const STALE_ENTRY_GRACE_MS = 60_000;

type Waiting = WaitingQuery & { readonly entry: LineEntry };

/**
 * One pass of the dispatcher, the one writer of the slots and lines. It applies the events (joins,
 * releases, cancels), finishes any pre-emption a crashed pass left half done, then starts whatever now
 * fits: it reads the slots held and the head of each class's line, asks `planDispatch` which queries
 * start, pre-empts where the plan says, and gives each admitted query its slot before completing the
 * task token its execution waits on. Idempotent: an event seen twice, or a pass cut short by a crash at
 * any point, leaves the state right for the next pass.
 */
export async function runDispatcher(
  events: readonly unknown[],
  deps: DispatcherDeps,
): Promise<DispatchSummary> {
  let invalid = 0;
  // Each query's events apply in the order sent; different queries' events at once.
  const byQuery = new Map<string, WakeEvent[]>();
  for (const raw of events) {
    const parsed = wakeEventSchema.safeParse(raw);
    if (!parsed.success) {
      invalid++;
      continue;
    }
    const key = parsed.data.type === 'sweep' ? '' : parsed.data.queryId;
    byQuery.set(key, [...(byQuery.get(key) ?? []), parsed.data]);
  }
  const entered = new Map<string, LineEntry>();
  await Promise.all(
    [...byQuery.values()].map(async (queryEvents) => {
      for (const event of queryEvents) {
        const entry = await applyEvent(event, deps);
        if (entry) entered.set(entry.queryId, entry);
      }
    }),
  );

  const now = deps.clock();
  const nowMs = now.getTime();
  const policy = admissionPolicy(deps.config, deps.liveQuota ? await deps.liveQuota() : undefined);
  // The dispatcher is the only writer of the wait statuses: one read serves the whole pass.
  const [heldNow, statuses] = await Promise.all([deps.store.holders(), deps.store.waitStatus()]);
  let holders = [...heldNow];
  let preempted = 0;
  for (const holder of holders.filter((h) => h.preempting)) {
    if (await preempt(holder, deps, now)) {
      preempted++;
      holders = holders.filter((h) => h.queryId !== holder.queryId);
    }
  }
  const held = new Map(holders.map((h) => [h.queryId, h]));

  // A pass starts at most as many queries as the start rate allows: more heads are never needed.
  const headLimit = Math.min(policy.capacity, deps.rate.available(nowMs)) + 1;
  let admitted = 0;
  // Classes no longer in the config, known from their wait status or from a query that just entered
  // one: their lines are read to reject them.
  const removed = [
    ...new Set([...Object.keys(statuses), ...[...entered.values()].map((e) => e.className)]),
  ].filter((k) => !deps.config.classes[k]);
  const readLine = async (className: string): Promise<Waiting[]> => {
    let waiting: Waiting[] = [];
    let limit = headLimit;
    for (let read = 0; read < 3; read++) {
      const heads = await deps.store.heads(className, limit);
      waiting = [];
      let skipped = 0;
      for (const entry of heads) {
        const holder = held.get(entry.queryId);
        if (holder && (holder.attempt ?? 1) > entry.attempt) {
          // An older attempt's entry (its event retried late) behind a newer attempt that holds a slot:
          // its execution ended long ago, and it must never be given the newer attempt's slot.
          await deps.store.leave(entry);
          if (entered.get(entry.queryId)?.executionArn === entry.executionArn) entered.delete(entry.queryId);
          skipped++;
          continue;
        }
        if (holder && holder.executionArn === entry.executionArn) {
          // Given its slot before a crash or a retried batch: complete its token again.
          deps.rate.take(nowMs);
          if (await admit(entry, holder, deps, nowMs, { fresh: false })) admitted++;
          skipped++;
          continue;
        }
        const waitUntil = Date.parse(entry.waitUntil);
        if (waitUntil <= nowMs) {
          // Its execution times out now and says so; one whose leave never came is dropped here.
          if (waitUntil + STALE_ENTRY_GRACE_MS <= nowMs) await deps.store.leave(entry);
          skipped++;
          continue;
        }
        waiting.push({
          queryId: entry.queryId,
          className,
          submittedAtMs: Date.parse(entry.submittedAt),
          entry,
        });
      }
      // Entries skipped at the front must not hide the ones behind them: read past them.
      if (waiting.length >= headLimit || heads.length < limit) break;
      limit = headLimit + skipped;
    }
    return waiting;
  };
  const classNames = [...new Set([...Object.keys(deps.config.classes), ...removed])];
  const read = await Promise.all(classNames.map(readLine));
  const lines: Record<string, Waiting[]> = Object.fromEntries(classNames.map((c, i) => [c, read[i]]));

  // Pre-emptions go first; one whose victim already moved on is planned again without it. A query
  // that already ran once (pre-empted or deferred before) is never pre-empted again.
  const protect = new Set(holders.filter((h) => (h.attempt ?? 1) > 1).map((h) => h.queryId));
  const plan = async (): Promise<DispatchPlan<Waiting>> => {
    for (let round = 0; round < MAX_PLANS; round++) {
      const candidate = planDispatch(policy, runningOf(holders), lines, {
        maxStarts: deps.rate.available(nowMs),
        protect,
      });
      let refused = false;
      for (const victim of candidate.preempt) {
        const holder = held.get(victim.queryId) as SlotHolder;
        if (await preempt(holder, deps, now)) {
          preempted++;
          holders = holders.filter((h) => h.queryId !== holder.queryId);
        } else {
          protect.add(holder.queryId);
          refused = true;
        }
      }
      if (!refused) return candidate;
    }
    for (const h of holders) protect.add(h.queryId);
    return planDispatch(policy, runningOf(holders), lines, {
      maxStarts: deps.rate.available(nowMs),
      protect,
    });
  };
  const chosen = await plan();
  deps.rate.take(nowMs, chosen.admit.length);
  const failedAdmissions: { queryId: string; error: string }[] = [];
  for (let i = 0; i < chosen.admit.length; i += ADMIT_CONCURRENCY) {
    const batch = chosen.admit.slice(i, i + ADMIT_CONCURRENCY);
    // Settled, not all-or-nothing: an admission cut short is finished by the next pass (a slot held
    // with no token completed is given again; one never held is planned again).
    const results = await Promise.allSettled(
      batch.map(async ({ entry }) => {
        const holder: SlotHolder = {
          queryId: entry.queryId,
          className: entry.className,
          acquiredAt: now.toISOString(),
          executionArn: entry.executionArn,
          attempt: entry.attempt,
        };
        await deps.store.hold(holder);
        return admit(entry, holder, deps, nowMs, { fresh: true });
      }),
    );
    results.forEach((result, at) => {
      if (result.status === 'fulfilled') admitted += result.value ? 1 : 0;
      else failedAdmissions.push({ queryId: batch[at].queryId, error: String(result.reason) });
    });
  }
  for (const query of chosen.reject) {
    const reason = `The query's workload class '${query.className}' is no longer in the config; submit it to another class.`;
    await deps.tokens.fail(query.entry.taskToken, UNKNOWN_CLASS_ERROR, reason);
    await deps.store.leave(query.entry);
  }

  // Why each line still waits: the class's status for status reads, and the record of each newcomer.
  const started = new Set([...chosen.admit, ...chosen.reject].map((q) => q.queryId));
  let waiting = 0;
  const writes: Promise<unknown>[] = [];
  for (const [className, line] of Object.entries(lines)) {
    const left = line.filter((q) => !started.has(q.queryId));
    waiting += left.length;
    const reason = left.length > 0 ? chosen.waiting[className] : undefined;
    const current = statuses[className];
    if (!reason && current) writes.push(deps.store.setWaitStatus(className, undefined));
    if (reason && reason.message !== current?.message) {
      writes.push(deps.store.setWaitStatus(className, { ...reason, since: now.toISOString() }));
    }
  }
  await Promise.all([
    ...writes,
    ...[...entered.values()]
      .filter((entry) => !started.has(entry.queryId) && !held.has(entry.queryId))
      .map(async (entry) => {
        const marked = await deps.ledger.update(
          entry.queryId,
          {
            status: 'WAITING_FOR_SLOT',
            reason: chosen.waiting[entry.className]?.message ?? 'waiting for a slot',
            executionArn: entry.executionArn,
          },
          ['QUEUED', 'WAITING_FOR_SLOT'],
        );
        if (!marked) await endWaitIfEnded(entry, deps);
      }),
  ]);

  const onlyRate = Object.values(chosen.waiting).some((w) => w.factor === 'rate');
  const nextPassInMs = [
    ...(onlyRate ? [Math.max(1, deps.rate.msUntilNext(nowMs))] : []),
    ...(failedAdmissions.length > 0 ? [ADMIT_RETRY_MS] : []),
  ];
  return {
    invalid,
    admitted,
    preempted,
    rejected: chosen.reject.length,
    waiting,
    failedAdmissions,
    ...(nextPassInMs.length > 0 ? { nextPassInMs: Math.min(...nextPassInMs) } : {}),
  };
}

/**
 * A newcomer whose record could not be marked waiting may belong to a query that already ended: a cancel
 * whose leave came before the enter (and found nothing to take out of the line). Its wait ends now,
 * rather than when a slot comes. This pass has already planned with it (it may even have been given a
 * slot, which MarkRunning then gives back); later passes no longer see it.
 */
async function endWaitIfEnded(entry: LineEntry, deps: DispatcherDeps): Promise<void> {
  const record = await deps.ledger.get(entry.queryId);
  if (!record || !isTerminal(record.status)) return;
  await deps.tokens.fail(
    entry.taskToken,
    LINE_CANCELLED_ERROR,
    `The query ended ${record.status} before it joined its line.`,
  );
  await deps.store.leave(entry);
}

/** Applies one event to the state; returns the line entry of a query that just joined. */
async function applyEvent(event: WakeEvent, deps: DispatcherDeps): Promise<LineEntry | undefined> {
  switch (event.type) {
    case 'enter': {
      const { type: _, sentAt, ...rest } = event;
      const entry: LineEntry = {
        ...rest,
        // One format (ISO 8601 allows several), so that the stores may compare sentAt as text.
        ...(sentAt ? { sentAt: new Date(sentAt).toISOString() } : {}),
        enteredAt: deps.clock().toISOString(),
      };
      return (await deps.store.join(entry)) ? entry : undefined;
    }
    case 'release':
      await deps.store.free(event.queryId, event.executionArn);
      return undefined;
    case 'leave': {
      const entry = await deps.store.leave(event);
      if (entry && event.why === 'cancelled') {
        await deps.tokens.fail(
          entry.taskToken,
          LINE_CANCELLED_ERROR,
          'The query was cancelled while it waited.',
        );
      }
      // A slot given just as the wait ended (or the cancel came) is never used: give it back.
      const arn = event.executionArn ?? entry?.executionArn;
      if (arn) await deps.store.free(event.queryId, arn);
      return undefined;
    }
    case 'sweep':
      return undefined;
  }
}

/**
 * Completes the token of a query given its slot, then takes it out of its line. A token that is gone on
 * a fresh admission means the execution stopped waiting (stopped, timed out) before it got the slot,
 * which is then given back at once; on a repeated admission (a retried batch) it means the token was
 * completed before, and the execution that runs keeps its slot until its own release.
 */
async function admit(
  entry: LineEntry,
  holder: SlotHolder,
  deps: DispatcherDeps,
  nowMs: number,
  how: { readonly fresh: boolean },
): Promise<boolean> {
  const result = await deps.tokens.succeed(entry.taskToken, {
    admittedAt: holder.acquiredAt,
    className: entry.className,
  });
  if (result === 'gone' && how.fresh) await deps.store.free(entry.queryId, entry.executionArn);
  await deps.store.leave(entry);
  if (result === 'gone') return false;
  deps.metrics.count('QueryAdmittedCount', 1, classDimension(entry.className));
  const waitedMs = Math.max(0, nowMs - Date.parse(entry.submittedAt));
  deps.metrics.milliseconds('QueueWaitTime', waitedMs, classDimension(entry.className));
  return true;
}

/**
 * Stops a borrower so that a lender gets its slot back, in steps a crash may cut anywhere: the slot is
 * marked as being pre-empted (a later pass finishes the job), the ledger says QUEUED with the reason
 * (so the stopped execution's end is not taken for a failure), the execution stops (and with it its
 * Athena query), the next attempt starts (its name makes that idempotent; it joins the line at its
 * original place, the front), and only then is the slot freed. False when the query moved on first
 * (it just ended, or was cancelled): the slot is then left to that query's own release.
 */
async function preempt(holder: SlotHolder, deps: DispatcherDeps, now: Date): Promise<boolean> {
  const record = await deps.ledger.get(holder.queryId);
  const sameRun =
    !!record?.executionArn && (!holder.executionArn || record.executionArn === holder.executionArn);
  const running = record?.status === 'RUNNING' && sameRun;
  const begun = record?.status === 'QUEUED' && sameRun && (record.preemptions ?? 0) > 0 && holder.preempting;
  if (!record?.executionArn || !(running || begun)) {
    if (holder.preempting) await deps.store.hold({ ...holder, preempting: undefined });
    return false;
  }
  if (!holder.preempting) await deps.store.hold({ ...holder, preempting: true });
  const preemptions = running ? (record.preemptions ?? 0) + 1 : (record.preemptions as number);
  const reason =
    `Pre-empted after ${Math.round((now.getTime() - Date.parse(holder.acquiredAt)) / 1000)} s on a slot ` +
    `borrowed from another class's idle guarantee, which that class needed back; it runs again first in ` +
    `${holder.className}'s line (pre-emption ${preemptions}).`;
  if (running) {
    const marked = await deps.ledger.update(
      holder.queryId,
      { status: 'QUEUED', reason, preemptions },
      { statuses: ['RUNNING'], executionArn: record.executionArn },
    );
    if (!marked) {
      await deps.store.hold({ ...holder, preempting: undefined });
      return false;
    }
  }
  await deps.executions.stop(record.executionArn, reason, PREEMPTED_STOP_ERROR);
  const attempt = Math.max(record.attempts, holder.attempt ?? 1) + 1;
  await deps.executions.start(
    executionName(holder.queryId, attempt),
    runQueryInputFor(record, attempt, deps.config, now, { freshWait: true }),
  );
  await deps.store.free(holder.queryId, holder.executionArn);
  if (running) deps.metrics.count('PreemptedQueryCount', 1, classDimension(holder.className));
  return true;
}

function runningOf(holders: readonly SlotHolder[]): RunningQuery[] {
  return holders.map((h) => ({
    queryId: h.queryId,
    className: h.className,
    admittedAtMs: Date.parse(h.acquiredAt),
  }));
}

/**
 * How long one dispatcher invocation keeps starting queries that wait only for the start rate before it
 * hands over to the next one, so that releases queued behind it are not held up.
 */
export const INVOCATION_BUDGET_MS = 2000;

export interface InvocationOptions {
  /** How long one invocation keeps passing while queries wait only for the start rate. */
  readonly budgetMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the invocation began. */
  readonly elapsedMs: () => number;
}

/**
 * One invocation of the dispatcher: a pass over the events, then, while queries wait only for the start
 * rate and the budget allows, passes after the rate refills. Returns the last pass's summary, whose
 * `nextPassInMs` tells the caller to wake the dispatcher again (events queued meanwhile come first).
 */
export async function dispatchInvocation(
  events: readonly unknown[],
  deps: DispatcherDeps,
  options: InvocationOptions,
): Promise<DispatchSummary & { readonly passes: number }> {
  let summary = await runDispatcher(events, deps);
  let passes = 1;
  while (
    summary.nextPassInMs !== undefined &&
    options.elapsedMs() + summary.nextPassInMs < options.budgetMs
  ) {
    await options.sleep(summary.nextPassInMs);
    summary = await runDispatcher([], deps);
    passes++;
  }
  return { ...summary, passes };
}

/** A wake event the queue set aside after it failed pass after pass, with how to remove it once applied. */
export interface SetAsideEvent {
  readonly body: unknown;
  readonly done: () => Promise<void>;
}

/**
 * Applies wake events the queue set aside (its dead-letter queue), each in a pass of its own, so that
 * one that fails again never holds up the others; each one applied is removed. An `enter` set aside
 * holds the only copy of its execution's task token, so without this its query would wait until its
 * wait limit. Returns how many were applied and how many still fail (left where they are).
 */
export async function retrySetAside(
  events: readonly SetAsideEvent[],
  deps: DispatcherDeps,
  onError: (error: unknown, body: unknown) => void,
): Promise<{ readonly applied: number; readonly failing: number }> {
  let applied = 0;
  for (const event of events) {
    try {
      await runDispatcher([event.body], deps);
      await event.done();
      applied++;
    } catch (error) {
      onError(error, event.body);
    }
  }
  return { applied, failing: events.length - applied };
}
