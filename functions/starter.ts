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
import { SqsMessageQueue } from './adapters/aws/sqs-message-queue';
import { PARK_REASON_ATTRIBUTE } from './core/redrive';
import { type StartQueryDeps, startQuery } from './core/start-query';

const ddb = documentClient(traced(new DynamoDBClient({})));
const sfn = traced(new SFNClient({}));
const sqs = traced(new SQSClient({}));
const logger = lambdaLogger('starter');
const metrics = new PowertoolsMetrics();
const processor = new BatchProcessor(EventType.SQS);

const runtime = once(() => {
  const config = configFromEnv();
  const deps: StartQueryDeps = {
    config,
    ledger: ledgerFromEnv(ddb, config),
    executions: new SfnExecutionStarter(sfn, requireEnv(ENV.stateMachineArn)),
    metrics,
    clock: systemClock,
  };
  return { deps, failed: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.failedQueueUrl) }) };
});

/** One message of the `queries` queue: the core decides, this maps its outcome onto SQS. */
async function startRecord(record: SQSRecord): Promise<void> {
  const { deps, failed } = runtime();
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
  const log = logger.createChild({ persistentKeys: { messageId: record.messageId } });
  if (outcome.queryId) correlate(log, outcome.queryId);
  switch (outcome.kind) {
    case 'started':
      log.info('execution started; it waits in its class line for a slot', {
        executionArn: outcome.executionArn,
      });
      return;
    case 'duplicate':
      log.info('already handled; message dropped', { reason: outcome.reason });
      return;
    case 'parked':
      await failed.send(record.body, { [PARK_REASON_ATTRIBUTE]: outcome.reason });
      log.warn('message parked in the failed queue', { reason: outcome.reason });
      return;
  }
}

/**
 * Starter: SQS `queries` event source with partial batch responses. Each message becomes a ledger
 * record and an execution (which waits in its class's line for the dispatcher); started, duplicate and
 * parked messages are deleted, and one that hit an unexpected error is reported as a batch item failure.
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
