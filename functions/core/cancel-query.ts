import type { QueryStatus } from '../../contracts/query-status';
import { isTerminal } from '../../contracts/query-status';
import type { Clock, ExecutionControl, Ledger } from './ports';
import type { QueryRecord } from './query-record';
import type { Wake } from './wake-event';

export interface CancelQueryDeps {
  readonly ledger: Ledger;
  /** Tells the dispatcher: a waiting query leaves its line, a running one gives its slot back. */
  readonly wake: Wake;
  readonly executions: Pick<ExecutionControl, 'stop'>;
  readonly clock: Clock;
}

export type CancelOutcome =
  /** The query is CANCELLED now; `previousStatus` says where it was caught. */
  | {
      readonly kind: 'cancelled';
      readonly previousStatus: QueryStatus;
      readonly record: QueryRecord;
      /** Set when the execution could not be stopped now; the slot reconciler stops it within a minute. */
      readonly stopError?: string;
    }
  | { readonly kind: 'not-found' }
  /** It had already ended: nothing to cancel. */
  | { readonly kind: 'finished'; readonly record: QueryRecord };

/** Error name of executions stopped by a user's cancel. */
export const CANCEL_STOP_ERROR = 'athena-wlm.Cancelled';

/** Statuses where the query has no running execution: the ledger alone stops it. */
const NOT_STARTED: readonly QueryStatus[] = ['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED'];

/** Times the status may move under us (for example QUEUED to RUNNING) before we give up. */
const MAX_TRIES = 3;

/** Cancelling raced with the query changing status too many times. */
export class CancelConflictError extends Error {
  constructor(queryId: string) {
    super(`Query ${queryId} changed status while it was being cancelled; try again.`);
    this.name = 'CancelConflictError';
  }
}

/**
 * Cancels a query wherever it is. Not started yet (queued, waiting for a slot, deferred): the ledger
 * says CANCELLED and the dispatcher takes it out of its line (ending the execution that waits there);
 * the starter or the redrive drops a message it finds terminal. Running: the ledger says CANCELLED,
 * then the execution is stopped (which stops its Athena query) and its slot is given back. Each ledger write is conditional on the status it saw, so a query that moves on
 * meanwhile is looked at again rather than overwritten.
 */
export async function cancelQuery(
  queryId: string,
  cancelledBy: string,
  deps: CancelQueryDeps,
  /** Whether the caller may cancel this query; one it may not is not found, and left as it is. */
  mayCancel: (record: QueryRecord) => boolean = () => true,
): Promise<CancelOutcome> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const record = await deps.ledger.get(queryId);
    if (!record || !mayCancel(record)) return { kind: 'not-found' };
    if (isTerminal(record.status)) return { kind: 'finished', record };

    const now = deps.clock().toISOString();
    const reason = `Cancelled by ${cancelledBy} while it was ${record.status}.`;
    const patch: Partial<QueryRecord> = {
      status: 'CANCELLED',
      reason,
      error: { code: 'CancelledByUser', message: reason },
      cancelledBy,
      finishedAt: now,
    };

    if (NOT_STARTED.includes(record.status)) {
      if (await deps.ledger.update(queryId, patch, NOT_STARTED)) {
        await deps.wake.send({
          type: 'leave',
          why: 'cancelled',
          queryId,
          className: record.className,
          submittedAt: record.submittedAt,
          ...(record.executionArn ? { executionArn: record.executionArn } : {}),
        });
        return { kind: 'cancelled', previousStatus: record.status, record: { ...record, ...patch } };
      }
      continue;
    }

    // RUNNING: the ledger says CANCELLED before the execution is stopped, so that the execution-status
    // event which follows finds the user's cancel (not "aborted") already recorded.
    // Conditional on the execution too: if the query was deferred and re-run meanwhile, look again.
    const sameRun = { statuses: ['RUNNING'] as const, executionArn: record.executionArn };
    if (!(await deps.ledger.update(queryId, patch, sameRun))) continue;
    const cancelled = {
      kind: 'cancelled',
      previousStatus: record.status,
      record: { ...record, ...patch },
    } as const;
    if (!record.executionArn) {
      await deps.wake.send({ type: 'release', queryId });
      return cancelled;
    }
    try {
      await deps.executions.stop(record.executionArn, reason, CANCEL_STOP_ERROR);
    } catch (error) {
      // The slot stays held while the execution may still run; the reconciler stops it and frees the slot.
      return { ...cancelled, stopError: (error as Error).message };
    }
    // An aborted execution never reaches its ReleaseSlot state, so the slot is given back here.
    await deps.wake.send({ type: 'release', queryId, executionArn: record.executionArn });
    return cancelled;
  }
  throw new CancelConflictError(queryId);
}
