import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import { LambdaSchedule } from './lambda-schedule';
import type { QueryTables } from './query-tables';
import { WlmFunction } from './wlm-function';

/** Timeout of one redrive run; it stays under the shortest schedule period (1 minute). */
export const REDRIVE_TIMEOUT = Duration.seconds(50);

export interface RedriveScheduleProps {
  readonly config: WlmConfig;
  readonly queriesQueue: sqs.IQueue;
  readonly deferredQueue: sqs.IQueue;
  readonly failedQueue: sqs.IQueue;
  readonly tables: QueryTables;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Every `config.redrive.everyMinutes`, moves deferred queries back to `queries` (bounded per run) and parks
 * those past the redrive cap in `queries-failed`. Reserved concurrency 1: runs never overlap.
 */
export class RedriveSchedule extends Construct {
  readonly handler: WlmFunction;
  readonly schedule: LambdaSchedule;

  constructor(scope: Construct, id: string, props: RedriveScheduleProps) {
    super(scope, id);
    this.handler = new WlmFunction(this, 'Redrive', {
      handler: 'redrive',
      description: 'athena-wlm: moves deferred queries back to the queries queue, parks those past the cap',
      timeout: REDRIVE_TIMEOUT,
      reservedConcurrentExecutions: 1,
      environment: {
        [ENV.config]: JSON.stringify(props.config),
        [ENV.queriesQueueUrl]: props.queriesQueue.queueUrl,
        [ENV.deferredQueueUrl]: props.deferredQueue.queueUrl,
        [ENV.failedQueueUrl]: props.failedQueue.queueUrl,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.handler.role;
    props.deferredQueue.grantConsumeMessages(role);
    props.queriesQueue.grantSendMessages(role);
    props.failedQueue.grantSendMessages(role);
    props.tables.bindLedger(this.handler.function, 'readWrite');

    this.schedule = new LambdaSchedule(this, 'Every', {
      function: this.handler.function,
      everyMinutes: props.config.redrive.everyMinutes,
      description: 'athena-wlm redrive of deferred queries',
    });
  }
}
