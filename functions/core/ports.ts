import type { RunQueryInput } from '../../contracts/execution-input';
import type { MetricName, QUEUE_WAIT_TIME } from '../../contracts/metrics';
import type { QueryStatus } from '../../contracts/query-status';
import type { QueryMessageInput } from '../../contracts/submission';
import type { QueryRecord } from './query-record';
import type { LineKey } from './wake-event';

/**
 * What a conditional ledger write expects: one of these statuses, and (when given) that the record is
 * still the one of this execution, so a write meant for one attempt never lands on the next.
 */
export type LedgerCondition =
  | readonly QueryStatus[]
  | { readonly statuses: readonly QueryStatus[]; readonly executionArn?: string };

/** The statuses and execution a condition expects. */
export function conditionOf(onlyIf: LedgerCondition): {
  readonly statuses: readonly QueryStatus[];
  readonly executionArn?: string;
} {
  return 'statuses' in onlyIf ? onlyIf : { statuses: onlyIf };
}

/** The query ledger: DynamoDB on AWS, SQLite locally. */
export interface Ledger {
  get(queryId: string): Promise<QueryRecord | undefined>;
  /** Stores the record unless one with its queryId exists; returns what is stored either way. */
  create(record: QueryRecord): Promise<{ readonly created: boolean; readonly record: QueryRecord }>;
  /**
   * Applies a patch (and sets updatedAt). With `onlyIf`, changes nothing and returns false unless the
   * stored status is one of those, so that a late writer never undoes a newer status.
   */
  update(queryId: string, patch: Partial<QueryRecord>, onlyIf?: LedgerCondition): Promise<boolean>;
}

/**
 * Where new submissions enter: the record and the queue message, written as one step so that a record
 * never waits without a message and a message never runs without its record.
 */
export interface SubmissionStore {
  /**
   * Stores the record and queues the message, unless a record with the same queryId exists: then
   * nothing is written and the stored record is returned.
   */
  admit(
    record: QueryRecord,
    message: QueryMessageInput,
  ): Promise<{ readonly created: boolean; readonly record: QueryRecord }>;
}

/** One query holding one slot. The dispatcher alone writes holders; anyone may read them. */
export interface SlotHolder {
  readonly queryId: string;
  readonly className: string;
  /** ISO time the slot was given. */
  readonly acquiredAt: string;
  /** The execution the slot was given to (a release names it, so an old attempt never frees a new one's). */
  readonly executionArn?: string;
  readonly attempt?: number;
  /** Set while the dispatcher pre-empts the query, so a pass cut short is finished by the next one. */
  readonly preempting?: true;
}

/** A query waiting in its class's line, with the task token its execution waits on. */
export interface LineEntry extends LineKey {
  readonly attempt: number;
  readonly executionArn: string;
  readonly taskToken: string;
  /** ISO time its class's maxQueueWaitMinutes runs out. */
  readonly waitUntil: string;
  readonly enteredAt: string;
  /** When its run entered EnterLine, as the enter event says (see wakeEventSchema). */
  readonly sentAt?: string;
}

/**
 * Whether an enter may take the place in line of the entry there: a later attempt may, and so may the
 * same attempt from a run that entered its line no earlier (an older run's enter delivered late may not).
 */
export function takesPlaceOf(incoming: LineEntry, stored: LineEntry): boolean {
  if (incoming.attempt !== stored.attempt) return incoming.attempt > stored.attempt;
  return incoming.sentAt === undefined || stored.sentAt === undefined || stored.sentAt <= incoming.sentAt;
}

/** Why a class's line waits, as the dispatcher last saw it. */
export interface ClassWaitStatus {
  readonly factor: string;
  readonly message: string;
  readonly since: string;
}

/**
 * The dispatcher's state: the slots held and one line per class, ordered by submission (DynamoDB items
 * keyed per class on AWS, never one item holding a line; the same adapter over the local DynamoDB).
 */
export interface DispatchStore {
  /**
   * Puts the query in its line (again, with a new token, when its execution entered the line again).
   * False, and nothing changes, when the entry there may not be replaced ({@link takesPlaceOf}): an old
   * attempt's, or an earlier run's, event delivered late never takes a newer one's place.
   */
  join(entry: LineEntry): Promise<boolean>;
  /** Takes the query out of its line; returns what it was, if it was there. */
  leave(key: LineKey): Promise<LineEntry | undefined>;
  /** The first `limit` queries of a class's line, oldest first. */
  heads(className: string, limit: number): Promise<readonly LineEntry[]>;
  /** How many queries of its class are ahead of this one (counting at most `limit`). */
  ahead(key: LineKey, limit: number): Promise<number>;
  hold(holder: SlotHolder): Promise<void>;
  /** Frees the query's slot (only if given to `executionArn`, when named); false when it held none. */
  free(queryId: string, executionArn?: string): Promise<boolean>;
  holders(): Promise<readonly SlotHolder[]>;
  /** Why each class's line waits (classes with no waiting query have no entry). */
  waitStatus(): Promise<Readonly<Record<string, ClassWaitStatus>>>;
  setWaitStatus(className: string, status: ClassWaitStatus | undefined): Promise<void>;
}

/** Completes the task a waiting execution is paused on (Step Functions' task tokens). */
export interface TaskTokens {
  /** 'gone' when the execution no longer waits on it (stopped, timed out, completed before). */
  succeed(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<'ok' | 'gone'>;
  fail(taskToken: string, error: string, cause: string): Promise<'ok' | 'gone'>;
}

export type StartExecutionResult =
  /** Started now, or already running with the same input (Step Functions' own idempotency). */
  | { readonly status: 'started'; readonly executionArn: string }
  /** An execution of that name exists and is closed (or has another input): this attempt was handled. */
  | { readonly status: 'already-exists' };

/** Starts one Standard execution of `run-query` per query attempt. */
export interface ExecutionStarter {
  start(name: string, input: RunQueryInput): Promise<StartExecutionResult>;
}

/** Metrics with the reference sample's names plus per-class ones. */
export interface Metrics {
  count(name: MetricName, value?: number, dimensions?: Readonly<Record<string, string>>): void;
  milliseconds(
    name: typeof QUEUE_WAIT_TIME,
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void;
}

/** A clock, so tests and the local runtime control time. */
export type Clock = () => Date;

/** A message received from a queue. */
export interface ReceivedMessage {
  readonly body: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
}

/** What the consumer of a received message does with it: it is done, or it sees the message again later. */
export interface MessageReceipts {
  /** The message is handled: it never comes back (a stale receipt handle changes nothing). */
  delete(receiptHandle: string): Promise<void>;
  /** The message comes back `seconds` from now (0: at once) instead of after its visibility timeout. */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

/** The few queue operations the redrive and the starter need (SQS on AWS, SQLite locally). */
export interface MessageQueue extends MessageReceipts {
  receive(maxMessages: number): Promise<readonly ReceivedMessage[]>;
  send(body: string, attributes?: Readonly<Record<string, string>>): Promise<void>;
}

/**
 * The queries a caller who is not an admin may list: those it submitted, and those of the classes it
 * shares as a member (records without a submitter excepted, which are admins' alone).
 */
export interface QueryVisibility {
  readonly submittedBy?: string;
  readonly sharedClasses: readonly string[];
}

/** A filter of `GET /queries`: newest first, at most `limit`, resumed with an opaque `nextToken`. */
export interface ListQueriesFilter {
  readonly className?: string;
  readonly status?: QueryStatus;
  readonly userId?: string;
  /** Only what this caller may see; undefined lists everything (an admin). */
  readonly visibleTo?: QueryVisibility;
  readonly limit: number;
  readonly nextToken?: string;
}

export interface QueryPage {
  readonly items: readonly QueryRecord[];
  /** Present when there may be more: pass it back to read the next page. */
  readonly nextToken?: string;
}

/** A page token that is not one this ledger issued (or was issued for another filter). */
export class InvalidPageTokenError extends Error {
  constructor(message = 'nextToken is not a token this API returned; start again without it') {
    super(message);
    this.name = 'InvalidPageTokenError';
  }
}

/**
 * Optional ledger capability behind `GET /queries` and `GET /workgroups` (an index on AWS, not a
 * scan). Kept apart from `Ledger` so the starter's ledger stays small.
 */
export interface LedgerQueries {
  /** Queries newest first; throws InvalidPageTokenError for a token it did not issue. */
  list(filter: ListQueriesFilter): Promise<QueryPage>;
  /** How many queries of a class submitted since `since` (ISO time) are in each of `statuses`. */
  countByStatus(
    className: string,
    statuses: readonly QueryStatus[],
    since: string,
  ): Promise<Readonly<Partial<Record<QueryStatus, number>>>>;
}

/** Status of a Step Functions execution, or NOT_FOUND when there is none of that ARN. */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE'
  | 'NOT_FOUND';

/** Looks at and stops `run-query` executions (Step Functions on AWS, the embedded runner locally). */
export interface ExecutionControl {
  status(executionArn: string): Promise<ExecutionStatus>;
  /**
   * Stops the execution (and with it its Athena query); a closed or unknown execution is not an error.
   * `error` is the error name the stopped execution reports (default: the adapter's own).
   */
  stop(executionArn: string, cause: string, error?: string): Promise<void>;
}

/** One page of a query's result rows. */
export interface ResultPage {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly nextToken?: string;
  /** A short-lived link to the whole result as CSV (presigned S3 URL on AWS, a local URL locally). */
  readonly downloadUrl?: string;
  readonly downloadUrlExpiresAt?: string;
}

/** Results are gone (expired from the results bucket, or Athena no longer knows the query). */
export class ResultsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsUnavailableError';
  }
}

/** Reads the rows of a SUCCEEDED query (Athena GetQueryResults on AWS, DuckDB output locally). */
export interface QueryResultsReader {
  page(
    record: QueryRecord,
    options: { readonly maxResults: number; readonly nextToken?: string },
  ): Promise<ResultPage>;
}

/** Sends an alert to the admins (SNS on AWS, the log locally). */
export interface AlertPublisher {
  publish(subject: string, message: string, attributes?: Readonly<Record<string, string>>): Promise<void>;
}
