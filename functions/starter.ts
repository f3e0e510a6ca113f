import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENV } from '../contracts/env';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv, requireEnv } from './adapters/aws/environment';
import { correlate, powertoolsHandler, traced } from './adapters/aws/powertools';
import { PowertoolsMetrics } from './adapters/aws/powertools-metrics';
import { SfnExecutionStarter } from './adapters/aws/sfn-execution-starter';
import { SqsEventSourceQueue, SqsMessageQueue } from './adapters/aws/sqs-message-queue';
import { handleQueryMessage, type QueryMessageDeps } from './core/start-query';

const ddb = documentClient(traced(new DynamoDBClient({})));
const sfn = traced(new SFNClient({}));
const sqs = traced(new SQSClient({}));
const logger = lambdaLogger('starter');
const metrics = new PowertoolsMetrics();
const processor = new BatchProcessor(EventType.SQS);

const deps = once((): QueryMessageDeps => {
  const config = configFromEnv();
  return {
    config,
    ledger: ledgerFromEnv(ddb, config),
    executions: new SfnExecutionStarter(sfn, requireEnv(ENV.stateMachineArn)),
    metrics,
    clock: systemClock,
    queries: new SqsEventSourceQueue(sqs, requireEnv(ENV.queriesQueueUrl)),
    failed: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.failedQueueUrl) }),
  };
});

/** One message of the `queries` queue: the core decides and acts on the queues; this logs and reports. */
async function startRecord(record: SQSRecord): Promise<void> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  const result = await handleQueryMessage(
    { body: record.body, receiptHandle: record.receiptHandle, receiveCount },
    deps(),
  );
  const log = logger.createChild({ persistentKeys: { messageId: record.messageId } });
  if ('queryId' in result && result.queryId) correlate(log, result.queryId);
  switch (result.kind) {
    case 'retry':
      log.error('could not start the query; the message will be retried', {
        receiveCount,
        retryInSeconds: result.retryInSeconds,
        error: result.error,
      });
      // A batch item failure: the event source keeps the message, which comes back when its new
      // visibility timeout ends.
      throw result.error;
    case 'started':
      log.info('execution started; it waits in its class line for a slot', {
        executionArn: result.executionArn,
      });
      return;
    case 'duplicate':
      log.info('already handled; message dropped', { reason: result.reason });
      return;
    case 'parked':
      log.warn('message parked in the failed queue', { reason: result.reason });
      return;
  }
}

/**
 * Starter: SQS `queries` event source with partial batch responses. Each message becomes a ledger
 * record and an execution (which waits in its class's line for the dispatcher); started, duplicate and
 * parked messages are deleted by the event source, and one whose start failed is reported as a batch
 * item failure, to come back after a backoff.
 */
export const handler = powertoolsHandler(
  logger,
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      return await processPartialResponse(event, startRecord, processor, { context });
    } finally {
      metrics.flush();
    }
  },
);
