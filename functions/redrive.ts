import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV } from '../contracts/env';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv, requireEnv } from './adapters/aws/environment';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { PowertoolsMetrics } from './adapters/aws/powertools-metrics';
import { SqsMessageQueue } from './adapters/aws/sqs-message-queue';
import { type RedriveDeps, type RedriveSummary, redriveDeferred } from './core/redrive';

const ddb = documentClient(traced(new DynamoDBClient({})));
const sqs = traced(new SQSClient({}));
const logger = lambdaLogger('redrive');
const metrics = new PowertoolsMetrics();

const deps = once((): RedriveDeps => {
  const config = configFromEnv();
  return {
    config,
    ledger: ledgerFromEnv(ddb, config),
    metrics,
    clock: systemClock,
    // No long poll: an empty deferred queue should end the run at once.
    deferred: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.deferredQueueUrl), waitTimeSeconds: 0 }),
    queries: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.queriesQueueUrl) }),
    failed: new SqsMessageQueue(sqs, { queueUrl: requireEnv(ENV.failedQueueUrl) }),
  };
});

/** Redrive: scheduled; moves deferred queries back to the `queries` queue, parks those past the cap. */
export const handler = powertoolsHandler(logger, async (): Promise<RedriveSummary> => {
  try {
    const summary = await redriveDeferred(deps());
    logger.info('redrive run', { ...summary });
    return summary;
  } finally {
    metrics.flush();
  }
});
