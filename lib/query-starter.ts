import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import type { QueryTables } from './query-tables';
import { WlmFunction } from './wlm-function';

/** Timeout of the starter function; the `queries` visibility timeout is derived from it. */
export const STARTER_TIMEOUT = Duration.seconds(30);
/** Messages per starter invocation (SQS's maximum without a batching window: a window would add its
 * length to every query's wait to save Lambda runs, which cost far less than the wait). */
export const STARTER_BATCH_SIZE = 10;

/** Athena's Active DML queries quota code in Service Quotas. */
export const ACTIVE_DML_QUOTA_CODE = 'L-FC5F6546';

/** ARN of the Athena Active DML queries quota, for a scoped servicequotas:GetServiceQuota grant. */
export function activeDmlQuotaArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'servicequotas',
    resource: 'athena',
    resourceName: ACTIVE_DML_QUOTA_CODE,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * Read access to the Active DML quota: the applied value (scoped to the quota) and the AWS default, which
 * Service Quotas returns for accounts that never changed it (that action takes no resource: "*").
 */
export function grantQuotaRead(grantee: iam.IGrantable, scope: Construct): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['servicequotas:GetServiceQuota'],
    resourceArns: [activeDmlQuotaArn(scope)],
  }).combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['servicequotas:GetAWSDefaultServiceQuota'],
      resourceArns: ['*'],
    }),
  );
}

export interface QueryStarterProps {
  readonly config: WlmConfig;
  readonly queriesQueue: sqs.IQueue;
  readonly failedQueue: sqs.IQueue;
  readonly tables: QueryTables;
  readonly stateMachine: sfn.IStateMachine;
  /** Most concurrent starter invocations (the event source's MaximumConcurrency, 2 to 1000). */
  readonly maxConcurrency: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The starter: reads `queries` in batches with partial batch failures, records each query in the ledger
 * and starts its execution, which joins its class's line for the dispatcher.
 */
export class QueryStarter extends Construct {
  readonly handler: WlmFunction;

  constructor(scope: Construct, id: string, props: QueryStarterProps) {
    super(scope, id);
    const { config } = props;
    this.handler = new WlmFunction(this, 'Starter', {
      handler: 'starter',
      description: 'athena-wlm: records queued queries and starts their run-query executions',
      timeout: STARTER_TIMEOUT,
      environment: {
        [ENV.config]: JSON.stringify(config),
        [ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
        // Where a message whose start failed gets its retry backoff (ChangeMessageVisibility).
        [ENV.queriesQueueUrl]: props.queriesQueue.queueUrl,
        [ENV.failedQueueUrl]: props.failedQueue.queueUrl,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.handler.role;

    this.handler.function.addEventSource(
      new lambdaEvents.SqsEventSource(props.queriesQueue, {
        batchSize: STARTER_BATCH_SIZE,
        reportBatchItemFailures: true,
        // Recording a query and starting its execution is quick: a few concurrent starters keep up with
        // the API's intake; the executions then wait in their lines for the dispatcher.
        maxConcurrency: props.maxConcurrency,
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.failedQueue.queueArn] }),
    );
    props.tables.bindLedger(this.handler.function, 'readWrite');
    props.stateMachine.grantStartExecution(role);
  }
}
