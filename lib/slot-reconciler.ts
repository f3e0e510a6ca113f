import type { RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import { LambdaSchedule } from './lambda-schedule';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import type { QueryTables } from './query-tables';
import { executionsArnOf } from './run-query-state-machine';
import { WlmFunction } from './wlm-function';

/** Execution statuses after which a slot may have been left held (the Catch paths never ran). */
export const LEAKY_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface SlotReconcilerProps {
  readonly config: WlmConfig;
  readonly tables: QueryTables;
  readonly stateMachine: sfn.StateMachine;
  /** The dispatcher's wake queue: slots are given back through it. */
  readonly wakeQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Frees slots whose execution ended without releasing them: at once on the execution's status-change
 * event, and every minute as a sweep in case an event is missed.
 */
export class SlotReconciler extends Construct {
  readonly handler: WlmFunction;
  readonly executionEndedRule: events.Rule;
  readonly schedule: LambdaSchedule;

  constructor(scope: Construct, id: string, props: SlotReconcilerProps) {
    super(scope, id);
    this.handler = new WlmFunction(this, 'Reconciler', {
      handler: 'reconcileSlots',
      description: 'athena-wlm: stops executions past their class time limit, releases slots they left held',
      environment: {
        [ENV.config]: JSON.stringify(props.config),
        [ENV.wakeQueueUrl]: props.wakeQueue.queueUrl,
        [ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.handler.role;
    props.tables.bindLedger(this.handler.function, 'readWrite');
    props.tables.bindDispatch(this.handler.function, 'read');
    props.wakeQueue.grantSendMessages(role);
    const executions = executionsArnOf(props.stateMachine);
    // Describe to see how an execution ended; stop one that outlived its class's time limit.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [executions],
      }),
    );
    acknowledgeWildcardResources(
      role,
      [executions],
      'Describe/stop executions of the run-query state machine only; execution names are query ids, unknown until run time.',
    );

    this.executionEndedRule = new events.Rule(this, 'ExecutionEnded', {
      description: 'run-query executions that failed, timed out or were aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: [...LEAKY_EXECUTION_STATUSES],
          stateMachineArn: [props.stateMachine.stateMachineArn],
        },
      },
      targets: [new eventTargets.LambdaFunction(this.handler.function, { retryAttempts: 2 })],
    });

    this.schedule = new LambdaSchedule(this, 'EveryMinute', {
      function: this.handler.function,
      everyMinutes: 1,
      description: 'athena-wlm slot reconciler sweep',
    });
  }
}
