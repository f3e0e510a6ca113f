import type { AdmissionDecision, AdmissionPolicy } from './admission';
import type { QueryRecord, QueryStatus } from './query-record';
import type { RunQueryInput } from './run-query-input';

/** The query ledger: DynamoDB on AWS, SQLite locally. */
export interface Ledger {
  get(queryId: string): Promise<QueryRecord | undefined>;
  /** Stores the record unless one with its queryId exists; returns what is stored either way. */
  create(record: QueryRecord): Promise<{ readonly created: boolean; readonly record: QueryRecord }>;
  /**
   * Applies a patch (and sets updatedAt). With `onlyIf`, changes nothing and returns false unless the
   * stored status is one of those, so that a late writer never undoes a newer status.
   */
  update(queryId: string, patch: Partial<QueryRecord>, onlyIf?: readonly QueryStatus[]): Promise<boolean>;
}

/** One query holding one slot. */
export interface SlotHolder {
  readonly queryId: string;
  readonly className: string;
  /** ISO time the slot was taken. */
  readonly acquiredAt: string;
}

export type AcquireResult = AdmissionDecision & {
  /** Slots in use per class after the call. */
  readonly usage: Readonly<Record<string, number>>;
};

/** Slots of the account quota, shared by every starter (DynamoDB conditional writes on AWS, SQLite locally). */
export interface SlotStore {
  /**
   * Atomically takes a slot for the query or refuses with the reason. Idempotent: a query that already
   * holds a slot is admitted again without taking a second one.
   */
  acquire(queryId: string, className: string, policy: AdmissionPolicy): Promise<AcquireResult>;
  /** Frees the query's slot; false when it held none (so releasing twice is harmless). */
  release(queryId: string): Promise<boolean>;
  holders(): Promise<readonly SlotHolder[]>;
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
  milliseconds(name: 'QueueWaitTime', value: number, dimensions?: Readonly<Record<string, string>>): void;
}

export type MetricName =
  | 'StartQueryCount'
  | 'ThrottlingErrorCount'
  | 'RestartQueryCount'
  | 'QueryAdmittedCount'
  | 'SlotWaitCount'
  | 'QueryParkedCount'
  | 'QueryFailedCount'
  | 'DeferredQueryCount';

/** A clock, so tests and the local runtime control time. */
export type Clock = () => Date;

/** A message received from a queue. */
export interface ReceivedMessage {
  readonly body: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
}

/** The few queue operations the redrive needs (SQS on AWS, SQLite locally). */
export interface MessageQueue {
  receive(maxMessages: number): Promise<readonly ReceivedMessage[]>;
  send(body: string, attributes?: Readonly<Record<string, string>>): Promise<void>;
  delete(receiptHandle: string): Promise<void>;
}
