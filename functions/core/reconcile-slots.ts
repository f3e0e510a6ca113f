import type { WlmConfig } from '../../lib/config';
import type { Clock, ExecutionControl, ExecutionStatus, Ledger, SlotHolder, SlotStore } from './ports';
import type { QueryRecord, QueryStatus } from './query-record';
import { isTerminal } from './query-record';

/**
 * Optional slot-store capability: frees a slot only if it is still the one taken at `acquiredAt`, so a
 * reconciler working from a slightly old list never frees the slot of a newer attempt of the query.
 */
export interface ConditionalSlotRelease {
  releaseIfAcquiredAt(queryId: string, acquiredAt: string): Promise<boolean>;
}

export interface ReconcileDeps {
  readonly config: WlmConfig;
  readonly ledger: Ledger;
  readonly slots: SlotStore & Partial<ConditionalSlotRelease>;
  readonly executions: Pick<ExecutionControl, 'status'>;
  readonly clock: Clock;
}

export interface ReconcileOptions {
  /** Most holders looked at per run, oldest first (bounds a run's work). @default 50 */
  readonly maxHolders?: number;
  /** Most execution look-ups per run (DescribeExecution refills at 10 to 15 per second). @default 20 */
  readonly maxDescribes?: number;
  /** Added to a class's timeout before a holder with no running execution counts as leaked. @default 5 */
  readonly marginMinutes?: number;
  /**
   * How long a holder may stay without a RUNNING record: the starter takes a slot seconds before the
   * execution marks the query RUNNING. @default 10
   */
  readonly startGraceMinutes?: number;
}

/** What to do with the ledger when a slot is freed because its execution ended without a result. */
export interface LedgerMark {
  readonly status: 'FAILED' | 'CANCELLED';
  readonly reason: string;
  readonly code: string;
  readonly onlyIf: readonly QueryStatus[];
}

export type HolderVerdict =
  | { readonly action: 'keep'; readonly why: string }
  | { readonly action: 'describe'; readonly executionArn: string }
  | { readonly action: 'release'; readonly why: string; readonly mark?: LedgerMark };

export interface ReconcileSummary {
  readonly examined: number;
  readonly released: readonly { readonly queryId: string; readonly why: string }[];
  readonly marked: readonly { readonly queryId: string; readonly status: QueryStatus }[];
  /** Holders left for the next run because of the per-run bounds. */
  readonly deferredToNextRun: number;
}

const MINUTE = 60_000;

/**
 * Decides about one slot holder from its ledger record and, for a RUNNING query, its execution's status
 * (pass undefined to be told to look it up).
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
  if (isTerminal(record.status) || record.status === 'DEFERRED') {
    return { action: 'release', why: `the query is ${record.status}` };
  }
  if (record.status !== 'RUNNING') {
    // Between the starter's acquire and the execution's MarkRunning: seconds, unless the starter died.
    return ageMs > grace
      ? { action: 'release', why: `the query is still ${record.status} long after it took its slot` }
      : { action: 'keep', why: `the query is about to start (${record.status})` };
  }
  if (!record.executionArn) {
    const timeoutMs =
      ((config.classes[holder.className]?.timeoutMinutes ?? 240) + (options.marginMinutes ?? 5)) * MINUTE;
    return ageMs > timeoutMs
      ? {
          action: 'release',
          why: 'RUNNING with no execution, past its class timeout',
          mark: endedWithoutResult('(none recorded)', 'NOT_FOUND'),
        }
      : { action: 'keep', why: 'RUNNING, within its class timeout' };
  }
  if (executionStatus === undefined) return { action: 'describe', executionArn: record.executionArn };
  if (executionStatus === 'RUNNING') return { action: 'keep', why: 'its execution is running' };
  return {
    action: 'release',
    why: `its execution is ${executionStatus}`,
    mark: endedWithoutResult(executionNameOf(record.executionArn), executionStatus),
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
 * that ended outside the state machine's own release), oldest holders first and bounded per run, and
 * brings the ledger in line when an execution ended without recording a result.
 */
export async function reconcileSlots(
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileSummary> {
  const maxHolders = options.maxHolders ?? 50;
  let describesLeft = options.maxDescribes ?? 20;
  const now = deps.clock();
  const holders = [...(await deps.slots.holders())].sort((a, b) => a.acquiredAt.localeCompare(b.acquiredAt));
  const released: { queryId: string; why: string }[] = [];
  const marked: { queryId: string; status: QueryStatus }[] = [];
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
    if (verdict.action !== 'release') continue;
    const freed = deps.slots.releaseIfAcquiredAt
      ? await deps.slots.releaseIfAcquiredAt(holder.queryId, holder.acquiredAt)
      : await deps.slots.release(holder.queryId);
    if (freed) released.push({ queryId: holder.queryId, why: verdict.why });
    if (verdict.mark && (await applyMark(holder.queryId, verdict.mark, deps))) {
      marked.push({ queryId: holder.queryId, status: verdict.mark.status });
    }
  }
  return { examined, released, marked, deferredToNextRun };
}

/** The query and attempt an execution name stands for (`<queryId>` or `<queryId>.r<N>`). */
export function parseExecutionName(name: string): { readonly queryId: string; readonly attempt: number } {
  const match = /^(.*)\.r(\d+)$/.exec(name);
  return match ? { queryId: match[1], attempt: Number(match[2]) + 1 } : { queryId: name, attempt: 1 };
}

/** The name part of an execution ARN (`arn:aws:states:<region>:<account>:execution:<machine>:<name>`). */
export function executionNameOf(executionArn: string): string {
  return executionArn.split(':').pop() ?? executionArn;
}

export interface EndedExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
}

export interface EndedExecutionResult {
  readonly queryId: string;
  readonly released: boolean;
  readonly marked?: QueryStatus;
  readonly skipped?: string;
}

/**
 * Handles an execution that ended FAILED, TIMED_OUT or ABORTED (the Step Functions status-change rule):
 * frees its query's slot and, when the ledger still shows the query in flight for this execution,
 * records the end. A user's cancel wrote CANCELLED first, and the conditional write leaves it alone.
 */
export async function reconcileEndedExecution(
  ended: EndedExecution,
  deps: Pick<ReconcileDeps, 'ledger' | 'slots' | 'clock'>,
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
  const released = await deps.slots.release(queryId);
  if (!record || isTerminal(record.status) || record.status === 'DEFERRED') return { queryId, released };
  const base = endedWithoutResult(ended.name, ended.status);
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
  const now = deps.clock().toISOString();
  return deps.ledger.update(
    queryId,
    {
      status: mark.status,
      reason: mark.reason,
      error: { code: mark.code, message: mark.reason },
      finishedAt: now,
      ...(mark.status === 'CANCELLED' ? { cancelledBy: 'step-functions' } : {}),
    },
    mark.onlyIf,
  );
}
