import type { WlmConfig } from '../../contracts/config';
import { MAX_EXECUTION_INPUT_BYTES } from '../../contracts/execution-input';
import { executionName } from '../../contracts/execution-naming';
import { classDimension } from '../../contracts/metrics';
import { isTerminal } from '../../contracts/query-status';
import { type QueryMessage, queryMessageSchema } from '../../contracts/submission';
import type {
  Clock,
  ExecutionStarter,
  Ledger,
  MessageQueue,
  MessageReceipts,
  Metrics,
  ReceivedMessage,
} from './ports';
import type { QueryRecord } from './query-record';
import { isSameSubmission, newQueryRecord } from './query-record';
import { PARK_REASON_ATTRIBUTE } from './redrive';
import { runQueryInputFor } from './run-query-input';

export interface StartQueryDeps {
  readonly config: WlmConfig;
  readonly ledger: Ledger;
  readonly executions: ExecutionStarter;
  readonly metrics: Metrics;
  readonly clock: Clock;
}

/** What the queue consumer does with the message after the starter looked at it. */
export type StartOutcome =
  /** An execution runs the query: delete the message. */
  | { readonly kind: 'started'; readonly queryId: string; readonly executionArn: string }
  /** This attempt was already handled (SQS delivers at least once): delete the message. */
  | { readonly kind: 'duplicate'; readonly queryId: string; readonly reason: string }
  /** The message can never run: move it to the failed queue with the reason, then delete it. */
  | { readonly kind: 'parked'; readonly queryId?: string; readonly reason: string };

export interface QueryMessageDeps extends StartQueryDeps {
  /** The `queries` queue the message was received from. */
  readonly queries: MessageReceipts;
  /** Where a message that can never run is parked, with its reason. */
  readonly failed: Pick<MessageQueue, 'send'>;
}

/** What became of a `queries` message. */
export type QueryMessageResult =
  | StartOutcome
  /** Starting (or parking) failed: the message comes back after `retryInSeconds`. */
  | { readonly kind: 'retry'; readonly error: Error; readonly retryInSeconds: number };

/** The first retry of a message whose start failed waits this long; each next one twice as long. */
export const START_RETRY_BASE_SECONDS = 5;
/** The longest wait before a retry (SQS allows 12 hours). */
export const START_RETRY_MAX_SECONDS = 900;

/**
 * How long a message whose start failed stays hidden before it is received again: 5 s after its first
 * receive, doubling to at most 15 minutes. The starter's failures come from its dependencies (the
 * ledger, Step Functions), which recover in seconds or in minutes; with admission.maxReceives at its
 * default of 10 a message is retried for about 20 minutes before the query ends FAILED.
 */
export function startRetrySeconds(receiveCount: number): number {
  const exponent = Math.max(0, Math.min(20, receiveCount - 1));
  return Math.min(START_RETRY_MAX_SECONDS, START_RETRY_BASE_SECONDS * 2 ** exponent);
}

/**
 * Handles one received message of the `queries` queue, on AWS and locally alike: `startQuery` decides,
 * then the message is deleted (started, duplicate), parked in the failed queue with its reason and
 * deleted (parked), or, when starting or parking failed, hidden for a growing backoff so that it comes
 * back (retry). A failure of the queue itself is thrown: the message then comes back after its
 * visibility timeout.
 */
export async function handleQueryMessage(
  message: ReceivedMessage,
  deps: QueryMessageDeps,
): Promise<QueryMessageResult> {
  let outcome: StartOutcome;
  try {
    outcome = await startQuery(message.body, message.receiveCount, deps);
    if (outcome.kind === 'parked') {
      await deps.failed.send(message.body, { [PARK_REASON_ATTRIBUTE]: outcome.reason });
    }
  } catch (error) {
    const retryInSeconds = startRetrySeconds(message.receiveCount);
    await deps.queries.changeVisibility(message.receiptHandle, retryInSeconds);
    return {
      kind: 'retry',
      error: error instanceof Error ? error : new Error(String(error)),
      retryInSeconds,
    };
  }
  await deps.queries.delete(message.receiptHandle);
  return outcome;
}

/**
 * Handles one message of the `queries` queue: records the query (idempotent on queryId) and starts its
 * execution, which joins its class's line and waits there until the dispatcher gives it a slot. Throws
 * only for errors worth a retry (the ledger or Step Functions unreachable); the message then comes back
 * after its visibility timeout.
 */
export async function startQuery(
  rawBody: string,
  receiveCount: number,
  deps: StartQueryDeps,
): Promise<StartOutcome> {
  const parsed = parseMessage(rawBody);
  if ('reason' in parsed) return { kind: 'parked', queryId: parsed.queryId, reason: parsed.reason };
  const message = parsed.message;
  const { queryId } = message;
  const now = deps.clock();

  const classConfig = deps.config.classes[message.className];
  if (!classConfig) {
    const reason = `'${message.className}' is not a workload class of this deployment (classes: ${Object.keys(deps.config.classes).join(', ')})`;
    if (message.body && message.submittedAt !== undefined) {
      const record = newQueryRecord(
        { ...message, body: message.body, submittedAt: message.submittedAt },
        now,
      );
      await deps.ledger.create({
        ...record,
        status: 'FAILED',
        reason,
        error: { code: 'UnknownWorkgroup', message: reason },
      });
    } else {
      // Recorded at the edge (the AWS intake writes the record, the message only names it): end it.
      await deps.ledger.update(
        queryId,
        {
          status: 'FAILED',
          reason,
          error: { code: 'UnknownWorkgroup', message: reason },
          finishedAt: now.toISOString(),
        },
        ['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED'],
      );
    }
    deps.metrics.count('QueryParkedCount');
    return { kind: 'parked', queryId, reason };
  }

  const recordOrOutcome = await recordFor(message, deps, now);
  if ('kind' in recordOrOutcome) return recordOrOutcome;
  const record = recordOrOutcome;

  if (isTerminal(record.status)) {
    return { kind: 'duplicate', queryId, reason: `the query already ended ${record.status}` };
  }
  if (
    record.attempts >= message.attempt &&
    record.status !== 'QUEUED' &&
    record.status !== 'WAITING_FOR_SLOT'
  ) {
    return { kind: 'duplicate', queryId, reason: `attempt ${message.attempt} was already started` };
  }

  /** Ends a query that can never start and parks its message. */
  const endInStarter = async (code: string, why: string): Promise<StartOutcome> => {
    const reason = `The query ${why}.`;
    await deps.ledger.update(
      queryId,
      { status: 'FAILED', reason, error: { code, message: reason }, finishedAt: now.toISOString() },
      ['QUEUED', 'WAITING_FOR_SLOT', 'DEFERRED'],
    );
    deps.metrics.count('QueryFailedCount', 1, classDimension(message.className));
    return { kind: 'parked', queryId, reason };
  };

  const waitedMs = now.getTime() - Date.parse(record.submittedAt);
  if (waitedMs > classConfig.maxQueueWaitMinutes * 60_000) {
    return endInStarter(
      'QueueWaitExceeded',
      `has waited ${Math.round(waitedMs / 60_000)} minutes since it was submitted to ${message.className}, ` +
        `longer than the class's maxQueueWaitMinutes (${classConfig.maxQueueWaitMinutes}); submit it again later or raise the class's slots`,
    );
  }
  // SQS parks a message past its maxReceiveCount without a word to the ledger: end it here first.
  if (receiveCount >= deps.config.admission.maxReceives - 1) {
    return endInStarter(
      'TooManyReceives',
      `was looked at ${receiveCount} times without starting (admission.maxReceives is ${deps.config.admission.maxReceives}); submit it again`,
    );
  }

  const input = runQueryInputFor(record, message.attempt, deps.config, now);
  if (Buffer.byteLength(JSON.stringify(input), 'utf8') > MAX_EXECUTION_INPUT_BYTES) {
    return endInStarter(
      'QueryTooLong',
      `is too long to pass through Step Functions (its execution input would pass ${MAX_EXECUTION_INPUT_BYTES} bytes); shorten it`,
    );
  }

  const started = await deps.executions.start(executionName(queryId, message.attempt), input);
  if (started.status === 'already-exists') {
    return {
      kind: 'duplicate',
      queryId,
      reason: `execution ${executionName(queryId, message.attempt)} already exists`,
    };
  }
  return { kind: 'started', queryId, executionArn: started.executionArn };
}

function parseMessage(rawBody: string): { message: QueryMessage } | { reason: string; queryId?: string } {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { reason: 'the message is not JSON' };
  }
  const result = queryMessageSchema.safeParse(json);
  if (result.success) return { message: result.data };
  const queryId =
    typeof (json as { queryId?: unknown })?.queryId === 'string'
      ? (json as { queryId: string }).queryId
      : undefined;
  const problems = result.error.issues
    .map((i) => `${i.path.join('.') || 'message'}: ${i.message}`)
    .join('; ');
  return { reason: `the message is not a valid query message (${problems})`, queryId };
}

/** The ledger record of the message's query, created for a new submission, or an outcome that ends here. */
async function recordFor(
  message: QueryMessage,
  deps: StartQueryDeps,
  now: Date,
): Promise<QueryRecord | StartOutcome> {
  const { queryId } = message;
  if (message.body && message.submittedAt !== undefined) {
    const fresh = newQueryRecord({ ...message, body: message.body, submittedAt: message.submittedAt }, now);
    const { created, record } = await deps.ledger.create(fresh);
    if (!created && !isSameSubmission(record, fresh)) {
      deps.metrics.count('QueryParkedCount');
      return {
        kind: 'parked',
        queryId,
        reason: `queryId '${queryId}' is already used by a different query (submitted ${record.submittedAt}); the new one was not run. Use a new queryId.`,
      };
    }
    return record;
  }
  const record = await deps.ledger.get(queryId);
  if (!record) {
    deps.metrics.count('QueryParkedCount');
    return {
      kind: 'parked',
      queryId,
      reason: `no ledger record for query '${queryId}', so it cannot be run again`,
    };
  }
  return record;
}
