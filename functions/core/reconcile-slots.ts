import type { WlmConfig } from '../../contracts/config';
import { parseExecutionName } from '../../contracts/execution-naming';
import type { QueryStatus } from '../../contracts/query-status';
import { isTerminal } from '../../contracts/query-status';
import type { Clock, DispatchStore, ExecutionControl, ExecutionStatus, Ledger, SlotHolder } from './ports';
import type { QueryRecord } from './query-record';
import type { Wake } from './wake-event';

export interface ReconcileDeps {
  readonly config: WlmConfig;
  readonly ledger: Ledger;
  /** The slots held, as the dispatcher keeps them (read only: the dispatcher frees them). */
  readonly slots: Pick<DispatchStore, 'holders'>;
  /** Gives slots back through the dispatcher, naming the execution so a newer attempt's stays held. */
  readonly wake: Wake;
  readonly executions: Pick<ExecutionControl, 'status' | 'stop'>;
  readonly clock: Clock;
}

export interface ReconcileOptions {
  /** Most holders looked at per run, earliest class time limit first (bounds a run's work). @default 50 */
  readonly maxHolders?: number;
  /** Most execution look-ups per run (DescribeExecution refills at 10 to 15 per second). @default 20 */
  readonly maxDescribes?: number;
  /** Added to a class's time limit before a RUNNING holder with no execution counts as leaked. @default 5 */
  readonly marginMinutes?: number;
  /**
   * How long a holder may stay without a RUNNING record: the dispatcher gives a slot seconds before the
   * execution marks the query RUNNING. @default 10
   */
  readonly startGraceMinutes?: number;
}

/** Error name of executions the reconciler stops for running past their class's time limit. */
export const TIME_LIMIT_STOP_ERROR = 'athena-wlm.TimeLimitExceeded';

/** What to write to the ledger when a query ends outside the state machine's own paths. */
export interface LedgerMark {
  readonly status: 'FAILED' | 'CANCELLED';
  readonly reason: string;
  readonly code: string;
  readonly onlyIf: readonly QueryStatus[];
}

export type HolderVerdict =
  | { readonly action: 'keep'; readonly why: string }
  | { readonly action: 'describe'; readonly executionArn: string }
  /** Stop a still-running execution (writing `mark` first, when given), then free the slot. */
  | {
      readonly action: 'stop';
      readonly executionArn: string;
      readonly why: string;
      readonly mark?: LedgerMark;
    }
  | { readonly action: 'release'; readonly why: string; readonly mark?: LedgerMark };

export interface ReconcileSummary {
  readonly examined: number;
  readonly released: readonly { readonly queryId: string; readonly why: string }[];
  readonly marked: readonly { readonly queryId: string; readonly status: QueryStatus }[];
  readonly stopped: readonly string[];
  /** Holders left for the next run because of the per-run bounds. */
  readonly deferredToNextRun: number;
}

const MINUTE = 60_000;
/** The longest time limit a class may have (the config schema's maximum), for a holder of a removed class. */
const LONGEST_CLASS_MINUTES = 240;

/**
 * Decides about one slot holder from its ledger record and, when the answer depends on it, its
 * execution's status (pass undefined to be told to look it up with `describe`).
 *
 * - no record, or a record still QUEUED / WAITING_FOR_SLOT long after the slot was taken: release;
 * - DEFERRED, or terminal with its execution no longer running: release;
 * - terminal while its execution still runs (a cancel or time limit whose stop did not go through): stop;
 * - RUNNING with an execution that ended: release, and the ledger says FAILED (CANCELLED if aborted);
 * - RUNNING past the class's `timeoutMinutes`: FAILED, stop the execution (and its Athena query), release.
 */
export function judgeHolder(
  holder: SlotHolder,
  record: QueryRecord | undefined,
  executionStatus: ExecutionStatus | undefined,
  now: Date,
  config: WlmConfig,
  options: ReconcileOptions = {},
): HolderVerdict {
  const ageMs = now.getTime() - Date.parse(holder.acquiredAt);
  const grace = (options.startGraceMinutes ?? 10) * MINUTE;
  if (!record) {
    return ageMs > grace
      ? { action: 'release', why: 'no ledger record for the query' }
      : { action: 'keep', why: 'recent holder; its ledger record may not be visible yet' };
  }
  if (record.status === 'DEFERRED') return { action: 'release', why: 'the query is DEFERRED' };
  if (isTerminal(record.status)) {
    if (!record.executionArn) return { action: 'release', why: `the query is ${record.status}` };
    if (executionStatus === undefined) return { action: 'describe', executionArn: record.executionArn };
    return executionStatus === 'RUNNING'
      ? {
          action: 'stop',
          executionArn: record.executionArn,
          why: `the query is ${record.status} but its execution still runs`,
        }
      : { action: 'release', why: `the query is ${record.status}` };
  }
  if (record.status !== 'RUNNING') {
    // Between the starter's acquire and the execution's MarkRunning: seconds, unless the starter died.
    return ageMs > grace
      ? { action: 'release', why: `the query is still ${record.status} long after it took its slot` }
      : { action: 'keep', why: `the query is about to start (${record.status})` };
  }
  const limitMinutes = config.classes[holder.className]?.timeoutMinutes ?? LONGEST_CLASS_MINUTES;
  if (!record.executionArn) {
    const leakedAfter = (limitMinutes + (options.marginMinutes ?? 5)) * MINUTE;
    return ageMs > leakedAfter
      ? {
          action: 'release',
          why: 'RUNNING with no execution, past its class time limit',
          mark: endedWithoutResult('(none recorded)', 'NOT_FOUND'),
        }
      : { action: 'keep', why: 'RUNNING, within its class time limit' };
  }
  if (executionStatus === undefined) return { action: 'describe', executionArn: record.executionArn };
  if (executionStatus !== 'RUNNING') {
    return {
      action: 'release',
      why: `its execution is ${executionStatus}`,
      mark: endedWithoutResult(executionNameOf(record.executionArn), executionStatus),
    };
  }
  const runningMs = now.getTime() - Date.parse(record.startedAt ?? holder.acquiredAt);
  if (runningMs > limitMinutes * MINUTE) {
    const reason =
      `The query ran longer than its workload class allows (${holder.className}: timeoutMinutes ` +
      `${limitMinutes}), so it was stopped. Make it scan less, or submit it to a class with a longer limit.`;
    return {
      action: 'stop',
      executionArn: record.executionArn,
      why: `running for ${Math.round(runningMs / MINUTE)} minutes, past its class limit of ${limitMinutes}`,
      mark: { status: 'FAILED', code: 'QueryTimedOut', reason, onlyIf: ['RUNNING'] },
    };
  }
  return { action: 'keep', why: 'its execution is running, within its class time limit' };
}

/**
 * The ledger change for a query that ran but whose result the ledger could not take: the user is told
 * where the result is, not to run it again (which would scan and bill the data twice).
 */
function ledgerWriteFailed(executionName: string): LedgerMark {
  return {
    status: 'FAILED',
    code: LEDGER_WRITE_FAILED,
    reason:
      `The query ended, but its result could not be written to the ledger. Its execution ${executionName} ` +
      "holds the Athena query id in StartQuery's output; read the result from Athena before submitting it again.",
    onlyIf: ['RUNNING'],
  };
}

/** The ledger change for a query whose execution ended without writing a result. */
export function endedWithoutResult(executionName: string, status: ExecutionStatus): LedgerMark {
  if (status === 'ABORTED') {
    return {
      status: 'CANCELLED',
      code: 'ExecutionAborted',
      reason: `The query's execution ${executionName} was stopped (ABORTED) before it recorded a result; its slot was freed.`,
      onlyIf: ['RUNNING'],
    };
  }
  if (status === 'NOT_FOUND') {
    return {
      status: 'FAILED',
      code: 'ExecutionNotFound',
      reason: `The query's execution ${executionName} cannot be found and no result was recorded; its slot was freed. Submit the query again.`,
      onlyIf: ['RUNNING'],
    };
  }
  return {
    status: 'FAILED',
    code: `Execution${status
      .split('_')
      .map((w) => w[0] + w.slice(1).toLowerCase())
      .join('')}`,
    reason: `The query's execution ${executionName} ended ${status} without recording a result; its slot was freed. Submit the query again.`,
    onlyIf: ['RUNNING'],
  };
}

/**
 * One scheduled run: frees the slots of queries that no longer run (terminal, deferred, an execution
 * that ended outside the state machine's own release), stops queries past their class's time limit,
 * holders whose time limit ends first, bounded per run, and brings the ledger in line when an execution ended
 * without recording a result. The ledger is written before an execution is stopped, so the
 * execution-status event that follows finds the final status already there.
 */
export async function reconcileSlots(
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileSummary> {
  const maxHolders = options.maxHolders ?? 50;
  let describesLeft = options.maxDescribes ?? 20;
  const now = deps.clock();
  // The holders whose class time limit runs out first are looked at first: with more holders than a run
  // looks at, a quick query past its limit is never stuck behind long queries that took slots earlier.
  const deadline = (h: SlotHolder) =>
    Date.parse(h.acquiredAt) +
    (deps.config.classes[h.className]?.timeoutMinutes ?? LONGEST_CLASS_MINUTES) * MINUTE;
  const holders = [...(await deps.slots.holders())].sort((a, b) => deadline(a) - deadline(b));
  const released: { queryId: string; why: string }[] = [];
  const marked: { queryId: string; status: QueryStatus }[] = [];
  const stopped: string[] = [];
  let examined = 0;
  let deferredToNextRun = Math.max(0, holders.length - maxHolders);

  for (const holder of holders.slice(0, maxHolders)) {
    const record = await deps.ledger.get(holder.queryId);
    let verdict = judgeHolder(holder, record, undefined, now, deps.config, options);
    if (verdict.action === 'describe') {
      if (describesLeft <= 0) {
        deferredToNextRun++;
        continue;
      }
      describesLeft--;
      const status = await deps.executions.status(verdict.executionArn);
      verdict = judgeHolder(holder, record, status, now, deps.config, options);
    }
    examined++;
    if (verdict.action === 'keep' || verdict.action === 'describe') continue;
    if (verdict.mark) {
      const applied = await applyMark(holder.queryId, verdict.mark, deps);
      if (applied) marked.push({ queryId: holder.queryId, status: verdict.mark.status });
      // The query moved on (it just finished, or was cancelled) between the read and the write.
      else if (verdict.action === 'stop') continue;
    }
    if (verdict.action === 'stop') {
      await deps.executions.stop(
        verdict.executionArn,
        verdict.mark?.reason ?? verdict.why,
        TIME_LIMIT_STOP_ERROR,
      );
      stopped.push(holder.queryId);
    }
    await deps.wake.send({
      type: 'release',
      queryId: holder.queryId,
      ...(holder.executionArn ? { executionArn: holder.executionArn } : {}),
    });
    released.push({ queryId: holder.queryId, why: verdict.why });
  }
  return { examined, released, marked, stopped, deferredToNextRun };
}

/** The name part of an execution ARN (`arn:aws:states:<region>:<account>:execution:<machine>:<name>`). */
export function executionNameOf(executionArn: string): string {
  return executionArn.split(':').pop() ?? executionArn;
}

export interface EndedExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  /** The execution's error name, when it failed. */
  readonly error?: string;
}

/** The error of run-query's Fail state for a result the ledger could not take (run-query.asl.json). */
export const LEDGER_WRITE_FAILED = 'LedgerWriteFailed';

export interface EndedExecutionResult {
  readonly queryId: string;
  /** Whether its slot was given back (through the dispatcher). */
  readonly released: boolean;
  readonly marked?: QueryStatus;
  readonly skipped?: string;
}

/**
 * Handles an execution that ended FAILED, TIMED_OUT or ABORTED (the Step Functions status-change rule):
 * frees its query's slot and, when the ledger still shows the query in flight for this execution,
 * records the end. A user's cancel (or the time limit) wrote its final status before stopping the
 * execution, and the conditional write leaves that alone.
 */
export async function reconcileEndedExecution(
  ended: EndedExecution,
  deps: Pick<ReconcileDeps, 'ledger' | 'wake' | 'clock'>,
): Promise<EndedExecutionResult> {
  const { queryId, attempt } = parseExecutionName(ended.name);
  const record = await deps.ledger.get(queryId);
  if (record?.status === 'RUNNING' && record.executionArn && record.executionArn !== ended.executionArn) {
    return { queryId, released: false, skipped: 'another execution of the query is running' };
  }
  const notYetRunning = record?.status === 'QUEUED' || record?.status === 'WAITING_FOR_SLOT';
  if (record && notYetRunning && record.attempts >= attempt) {
    return { queryId, released: false, skipped: `attempt ${attempt} is older than the query's current one` };
  }
  await deps.wake.send({ type: 'release', queryId, executionArn: ended.executionArn });
  if (record && notYetRunning) {
    // It ended while it waited in line: its place goes at once, not when the dispatcher finds it stale.
    await deps.wake.send({
      type: 'leave',
      why: 'ended',
      queryId,
      className: record.className,
      submittedAt: record.submittedAt,
      executionArn: ended.executionArn,
    });
  }
  const released = true;
  if (!record || isTerminal(record.status) || record.status === 'DEFERRED') return { queryId, released };
  const base =
    ended.error === LEDGER_WRITE_FAILED
      ? ledgerWriteFailed(ended.name)
      : endedWithoutResult(ended.name, ended.status);
  // An execution that died before MarkRunning leaves the record QUEUED with nobody left to move it.
  const mark: LedgerMark = notYetRunning ? { ...base, onlyIf: ['QUEUED', 'WAITING_FOR_SLOT'] } : base;
  return (await applyMark(queryId, mark, deps))
    ? { queryId, released, marked: mark.status }
    : { queryId, released };
}

async function applyMark(
  queryId: string,
  mark: LedgerMark,
  deps: Pick<ReconcileDeps, 'ledger' | 'clock'>,
): Promise<boolean> {
  return deps.ledger.update(
    queryId,
    {
      status: mark.status,
      reason: mark.reason,
      error: { code: mark.code, message: mark.reason },
      finishedAt: deps.clock().toISOString(),
      ...(mark.status === 'CANCELLED' ? { cancelledBy: 'step-functions' } : {}),
    },
    mark.onlyIf,
  );
}
