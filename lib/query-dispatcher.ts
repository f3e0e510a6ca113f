import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import { WAKE_MESSAGE_GROUP } from '../contracts/queues';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import { grantQuotaRead } from './query-starter';
import type { QueryTables } from './query-tables';
import { executionsArnOf } from './run-query-state-machine';
import { WlmFunction } from './wlm-function';

/** Timeout of one dispatcher invocation; the wake queue's visibility timeout is derived from it. */
export const DISPATCHER_TIMEOUT = Duration.seconds(30);
/** Wake events applied in one pass (SQS FIFO's largest batch). */
export const DISPATCHER_BATCH_SIZE = 10;
/** How often the safety sweep wakes the dispatcher even when nothing else does. */
export const SWEEP_EVERY = Duration.minutes(1);

export interface QueryDispatcherProps {
  readonly config: WlmConfig;
  /** The FIFO wake queue (one message group): every event that may start a waiting query. */
  readonly wakeQueue: sqs.IQueue;
  /** Where SQS sets aside wake events whose passes kept failing; each sweep tries them again. */
  readonly wakeFailedQueue: sqs.IQueue;
  readonly tables: QueryTables;
  readonly stateMachine: sfn.StateMachine;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The dispatcher: the one writer of the slots and lines. It reads the FIFO wake queue (a query entering
 * its line, a slot given back on every path of run-query, a cancel, a stop, the reconciler), with
 * reserved concurrency 1 and one message group so passes never overlap and events apply in order; a
 * schedule wakes it every minute as a safety sweep, and a stack update (a config change) wakes it at
 * once. Each pass starts what the policy admits by completing the task tokens of waiting executions.
 */
export class QueryDispatcher extends Construct {
  readonly handler: WlmFunction;
  readonly sweep: scheduler.Schedule;
  readonly configChangeRule: events.Rule;

  constructor(scope: Construct, id: string, props: QueryDispatcherProps) {
    super(scope, id);
    const { config } = props;
    this.handler = new WlmFunction(this, 'Dispatcher', {
      handler: 'dispatcher',
      description: 'athena-wlm: starts waiting queries as slots free (the one writer of slots and lines)',
      timeout: DISPATCHER_TIMEOUT,
      memorySize: 512,
      reservedConcurrentExecutions: 1,
      environment: {
        [ENV.config]: JSON.stringify(config),
        [ENV.wakeQueueUrl]: props.wakeQueue.queueUrl,
        [ENV.wakeFailedQueueUrl]: props.wakeFailedQueue.queueUrl,
        [ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.handler.role;
    this.handler.function.addEventSource(
      new lambdaEvents.SqsEventSource(props.wakeQueue, {
        batchSize: DISPATCHER_BATCH_SIZE,
        // A failed pass is retried whole: every event is idempotent.
        reportBatchItemFailures: false,
      }),
    );
    props.wakeQueue.grantSendMessages(role);
    props.wakeFailedQueue.grantConsumeMessages(role);
    props.tables.bindDispatch(this.handler.function, 'write');
    props.tables.bindLedger(this.handler.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // Pre-emption stops the borrower's execution and starts its next attempt.
    props.stateMachine.grantStartExecution(role);
    const executions = executionsArnOf(props.stateMachine);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:StopExecution', 'states:DescribeExecution'],
        resources: [executions],
      }),
    );
    // Task tokens of service-integration callbacks carry no resource IAM can name (only activities do).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: ['*'],
      }),
    );
    if (config.quota.activeDmlQueries === 'service-quotas') grantQuotaRead(role, this);
    acknowledgeWildcardResources(
      role,
      [executions],
      'Stop and describe executions of the run-query state machine only (a pre-empted borrower); execution names are query ids, unknown until run time.',
    );

    // The safety sweep: the scheduled time makes each sweep's body unique for content-based deduplication.
    const sweepRole = new iam.Role(this, 'SweepRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'athena-wlm dispatcher sweep',
    });
    this.sweep = new scheduler.Schedule(this, 'Sweep', {
      description: 'athena-wlm dispatcher safety sweep',
      schedule: scheduler.ScheduleExpression.rate(SWEEP_EVERY),
      target: new schedulerTargets.SqsSendMessage(props.wakeQueue, {
        role: sweepRole,
        messageGroupId: WAKE_MESSAGE_GROUP,
        input: scheduler.ScheduleTargetInput.fromObject({
          type: 'sweep',
          why: `schedule ${scheduler.ContextAttribute.scheduledTime}`,
        }),
        retryAttempts: 0,
      }),
    });

    // A deploy that changes the config (or anything) wakes the dispatcher at once with the new config.
    this.configChangeRule = new events.Rule(this, 'ConfigChange', {
      description: 'athena-wlm: a stack update wakes the dispatcher with the new config',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          'stack-id': [Stack.of(this).stackId],
          'status-details': { status: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] },
        },
      },
      targets: [
        new eventTargets.SqsQueue(props.wakeQueue, {
          messageGroupId: WAKE_MESSAGE_GROUP,
          message: events.RuleTargetInput.fromObject({
            type: 'sweep',
            why: `config change ${events.EventField.time}`,
          }),
          retryAttempts: 4,
        }),
      ],
    });
  }
}
