import { TABLES } from '../../contracts/tables';
import type { RunQuerySubstitutions } from '../../state-machines/run-query';
import type { TableSchema } from '../dynamodb/local-dynamodb';

/** The local runtime's queues (SQS queue names on AWS). */
export const LOCAL_QUEUES = {
  queries: 'queries',
  deferred: 'queries-deferred',
  failed: 'queries-failed',
  /** The dispatcher's wake-up queue (an SQS FIFO queue on AWS). */
  wake: 'dispatch-wake',
} as const;

/** The local runtime's DynamoDB tables. */
export const LOCAL_TABLES = {
  ledger: 'athena-wlm-ledger',
  dispatch: 'athena-wlm-dispatch',
} as const;

/** Key schemas and indexes of the local tables (the same as the stack's tables). */
export const LOCAL_TABLE_SCHEMAS: Readonly<Record<string, TableSchema>> = {
  [LOCAL_TABLES.ledger]: {
    partitionKey: TABLES.ledgerKey,
    // The `documents_by_workgroup` SQL index of the local database serves this index's Query.
    indexes: {
      [TABLES.ledgerByClassIndex]: {
        partitionKey: TABLES.ledgerClassAttribute,
        sortKey: TABLES.ledgerByClassSortKey,
      },
    },
  },
  [LOCAL_TABLES.dispatch]: { partitionKey: TABLES.dispatchPartitionKey, sortKey: TABLES.dispatchSortKey },
};

const QUEUE_URL_PREFIX = 'local://';

/** The QueueUrl of a local queue, as the state machine's `sqs:sendMessage` task names it. */
export function localQueueUrl(queueName: string): string {
  return `${QUEUE_URL_PREFIX}${queueName}`;
}

/** The queue name of a local QueueUrl, or undefined for any other URL. */
export function queueNameOfUrl(queueUrl: string): string | undefined {
  return queueUrl.startsWith(QUEUE_URL_PREFIX) ? queueUrl.slice(QUEUE_URL_PREFIX.length) : undefined;
}

/** The `${Placeholder}` values of run-query.asl.json for the local runtime. */
export const LOCAL_RUN_QUERY_SUBSTITUTIONS: RunQuerySubstitutions = {
  LedgerTableName: LOCAL_TABLES.ledger,
  WakeQueueUrl: localQueueUrl(LOCAL_QUEUES.wake),
  DeferredQueueUrl: localQueueUrl(LOCAL_QUEUES.deferred),
};
