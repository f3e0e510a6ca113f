import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { parseExecutionName } from '../contracts/execution-naming';
import {
  dispatchStoreFromEnv,
  lambdaLogger,
  ledgerFromEnv,
  once,
  systemClock,
  wakeFromEnv,
} from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { correlate, powertoolsHandler, traced } from './adapters/aws/powertools';
import { PowertoolsMetrics } from './adapters/aws/powertools-metrics';
import { SfnExecutionControl } from './adapters/aws/sfn-execution-control';
import {
  type EndedExecutionResult,
  type ReconcileDeps,
  type ReconcileSummary,
  reconcileEndedExecution,
  reconcileSlots,
} from './core/reconcile-slots';

const ddb = documentClient(traced(new DynamoDBClient({})));
const sfn = traced(new SFNClient({}));
const sqs = traced(new SQSClient({}));
const logger = lambdaLogger('reconcile-slots');
const metrics = new PowertoolsMetrics();

const deps = once((): ReconcileDeps => {
  const config = configFromEnv();
  return {
    config,
    ledger: ledgerFromEnv(ddb, config),
    slots: dispatchStoreFromEnv(ddb),
    wake: wakeFromEnv(sqs),
    executions: new SfnExecutionControl(sfn),
    clock: systemClock,
  };
});

/** The EventBridge event Step Functions sends when an execution ends FAILED, TIMED_OUT or ABORTED. */
const executionEndedEvent = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    error: z.string().nullish(),
  }),
});

/**
 * Slot reconciler. From the execution-status rule: frees the ended execution's slot and records the end
 * in the ledger. From the 1-minute schedule (any other event): sweeps the slot holders, bounded per run.
 */
export const handler = powertoolsHandler(
  logger,
  async (event: unknown): Promise<ReconcileSummary | EndedExecutionResult> => {
    try {
      const ended = executionEndedEvent.safeParse(event);
      if (ended.success) {
        correlate(logger, parseExecutionName(ended.data.detail.name).queryId);
        const result = await reconcileEndedExecution(
          { ...ended.data.detail, error: ended.data.detail.error ?? undefined },
          deps(),
        );
        logger.info('execution ended', { ...result, status: ended.data.detail.status });
        if (result.released) metrics.gauge('LeakedSlotsReleased', 1);
        return result;
      }
      const summary = await reconcileSlots(deps());
      if (summary.released.length > 0 || summary.marked.length > 0) {
        logger.warn('released leaked slots', { ...summary });
        metrics.gauge('LeakedSlotsReleased', summary.released.length);
      } else {
        logger.info('no leaked slots', { examined: summary.examined });
      }
      return summary;
    } finally {
      metrics.flush();
    }
  },
);
