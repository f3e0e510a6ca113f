import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaLogger, ledgerFromEnv, once, slotStoreFromEnv, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv, ENV, requireEnv } from './adapters/aws/environment';
import { PowertoolsMetrics } from './adapters/aws/powertools-metrics';
import { ServiceQuotaReader } from './adapters/aws/service-quota';
import { SfnExecutionStarter } from './adapters/aws/sfn-execution-starter';
import { SqsMessageQueue } from './adapters/aws/sqs-message-queue';
import { PARK_REASON_ATTRIBUTE } from './core/redrive';
import { type StartQueryDeps, startQuery } from './core/start-query';

const ddb = documentClient();
const sfn = new SFNClient({});
const sqs = new SQSClient({});
const serviceQuotas = new ServiceQuotasClient({});
const logger = lambdaLogger('starter');
const metrics = new PowertoolsMetrics();
const processor = new BatchProcessor(EventType.SQS);

const runtime = once(() => {
  const config = configFromEnv();
  const quota = new ServiceQuotaReader(serviceQuotas, systemClock);
  const deps: StartQueryDeps = {
    config,
    ledger: ledgerFromEnv(ddb, config),
    slots: slotStoreFromEnv(ddb),
    executions: new SfnExecutionStarter(sfn, requireEnv(ENV.stateMachineArn)),
    metrics,
    clock: systemClock,
    ...(config.quota.activeDmlQueries === 'service-quotas'
      ? { liveQuota: () => quota.activeDmlQueries() }
      : {}),
  };
  return {
    deps,
    queries: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.queriesQueueUrl) }),
    failed: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.failedQueueUrl) }),
  };
});

/** Thrown for a query that found no slot: the batch reports it failed, so SQS keeps the message. */
export class SlotWaitError extends Error {
  constructor(queryId: string, delaySeconds: number, reason: string) {
    super(`Query ${queryId} waits ${delaySeconds}s for a slot: ${reason}`);
    this.name = 'SlotWaitError';
  }
}

/** One message of the `queries` queue: the core decides, this maps its outcome onto SQS. */
async function startRecord(record: SQSRecord): Promise<void> {
  const { deps, queries, failed } = runtime();
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  let outcome: Awaited<ReturnType<typeof startQuery>>;
  try {
    outcome = await startQuery(record.body, receiveCount, deps);
  } catch (error) {
    logger.error('could not start the query; the message will be retried', {
      messageId: record.messageId,
      receiveCount,
      error: error as Error,
    });
    throw error;
  }
  const log = logger.createChild({
    persistentKeys: { messageId: record.messageId, ...(outcome.queryId ? { queryId: outcome.queryId } : {}) },
  });
  switch (outcome.kind) {
    case 'started':
      log.info('execution started', { executionArn: outcome.executionArn });
      return;
    case 'duplicate':
      log.info('already handled; message dropped', { reason: outcome.reason });
      return;
    case 'parked':
      await failed.send(record.body, { [PARK_REASON_ATTRIBUTE]: outcome.reason });
      log.warn('message parked in the failed queue', { reason: outcome.reason });
      return;
    case 'wait':
      try {
        await queries.changeVisibility(record.receiptHandle, outcome.delaySeconds);
      } catch (error) {
        // The message still comes back, after the queue's own visibility timeout instead.
        log.warn('could not change the message visibility', { error: error as Error });
      }
      log.info('waiting for a slot', { delaySeconds: outcome.delaySeconds, reason: outcome.reason });
      throw new SlotWaitError(outcome.queryId, outcome.delaySeconds, outcome.reason);
  }
}

/**
 * Starter: SQS `queries` event source with partial batch responses. Started, duplicate and parked
 * messages are deleted; a message waiting for a slot or hitting an unexpected error is reported as a
 * batch item failure and stays in the queue.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  try {
    // A batch where every query waits is normal under load, not a function error.
    return await processPartialResponse(event, startRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  } finally {
    metrics.flush();
  }
};
