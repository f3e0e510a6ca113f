import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { ENV } from '../contracts/env';
import {
  dispatchStoreFromEnv,
  lambdaLogger,
  ledgerFromEnv,
  once,
  systemClock,
  wakeFromEnv,
} from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv, requireEnv } from './adapters/aws/environment';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { PowertoolsMetrics } from './adapters/aws/powertools-metrics';
import { ServiceQuotaReader } from './adapters/aws/service-quota';
import { SfnExecutionControl } from './adapters/aws/sfn-execution-control';
import { SfnExecutionStarter } from './adapters/aws/sfn-execution-starter';
import { SfnTaskTokens } from './adapters/aws/sfn-task-tokens';
import { parseJson, receiveSetAside } from './adapters/aws/sqs-wake';
import {
  type DispatcherDeps,
  dispatchInvocation,
  INVOCATION_BUDGET_MS,
  retrySetAside,
} from './core/dispatcher';
import { StartRate } from './core/start-rate';

const ddb = documentClient(traced(new DynamoDBClient({})));
const sfn = traced(new SFNClient({}));
const sqs = traced(new SQSClient({}));
const serviceQuotas = traced(new ServiceQuotasClient({}));
const logger = lambdaLogger('dispatcher');
const metrics = new PowertoolsMetrics();

const runtime = once(() => {
  const config = configFromEnv();
  const starter = new SfnExecutionStarter(sfn, requireEnv(ENV.stateMachineArn));
  const control = new SfnExecutionControl(sfn);
  const quota = new ServiceQuotaReader(serviceQuotas, systemClock, (error, lastGood) =>
    logger.warn('Service Quotas read failed: admitting with the last good quota', { error, lastGood }),
  );
  const deps: DispatcherDeps = {
    config,
    store: dispatchStoreFromEnv(ddb),
    tokens: new SfnTaskTokens(sfn),
    ledger: ledgerFromEnv(ddb, config),
    executions: {
      start: (name, input) => starter.start(name, input),
      stop: (arn, c, e) => control.stop(arn, c, e),
    },
    metrics,
    clock: systemClock,
    // The container lives across invocations (reserved concurrency 1): so does the start rate.
    rate: new StartRate(config.admission.startsPerSecond),
    ...(config.quota.activeDmlQueries === 'service-quotas'
      ? { liveQuota: () => quota.activeDmlQueries() }
      : {}),
  };
  return { deps, wake: wakeFromEnv(sqs) };
});

/** The queries a batch of wake events is about, for the invocation's log line. */
function queryIdsOf(events: readonly unknown[]): string[] {
  return [
    ...new Set(
      events.flatMap((e) => {
        const queryId = (e as { queryId?: unknown } | null)?.queryId;
        return typeof queryId === 'string' ? [queryId] : [];
      }),
    ),
  ];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Dispatcher: the SQS FIFO wake queue's only consumer (one message group, reserved concurrency 1), so
 * one pass runs at a time, in the order events were sent. A batch is applied in one pass. When queries
 * wait only for the start rate, the invocation keeps starting them for a moment, then leaves a wake
 * for the next invocation so that releases queued meanwhile are not held up. A sweep also retries the
 * events SQS set aside after failed passes.
 */
export const handler = powertoolsHandler(logger, async (event: SQSEvent, context: Context): Promise<void> => {
  const { deps, wake } = runtime();
  const began = Date.now();
  const events = event.Records.map((r) => parseJson(r.body));
  try {
    const summary = await dispatchInvocation(events, deps, {
      budgetMs: Math.min(INVOCATION_BUDGET_MS, context.getRemainingTimeInMillis() - 5000),
      sleep,
      elapsedMs: () => Date.now() - began,
    });
    logger.info('dispatch invocation', {
      events: event.Records.length,
      queryIds: queryIdsOf(events),
      ...summary,
    });
    if (summary.nextPassInMs !== undefined) {
      await wake.send({
        type: 'sweep',
        why: `start rate: more queries start at ${new Date().toISOString()}`,
      });
    }
    if (events.some((e) => (e as { type?: unknown }).type === 'sweep')) {
      const setAside = await receiveSetAside(sqs, requireEnv(ENV.wakeFailedQueueUrl));
      if (setAside.length > 0) {
        const result = await retrySetAside(setAside, deps, (error, body) =>
          logger.error('a set-aside wake event failed again', { error, body }),
        );
        logger.info('set-aside wake events retried', result);
      }
    }
  } finally {
    metrics.flush();
  }
});
