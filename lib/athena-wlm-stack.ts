import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AthenaWorkloadManager, type AthenaWorkloadManagerProps } from './athena-workload-manager';

/** Properties of {@link AthenaWlmStack}: a stack's, plus the workload manager's. */
export interface AthenaWlmStackProps extends StackProps, AthenaWorkloadManagerProps {}

/** A stack holding one {@link AthenaWorkloadManager}, with the outputs a user needs after deploying. */
export class AthenaWlmStack extends Stack {
  readonly workloadManager: AthenaWorkloadManager;

  constructor(scope: Construct, id: string, props: AthenaWlmStackProps = {}) {
    super(scope, id, props);
    this.workloadManager = new AthenaWorkloadManager(this, 'AthenaWlm', props);
    const wlm = this.workloadManager;
    new CfnOutput(this, 'ApiUrl', {
      value: wlm.api.url,
      description: 'Base URL of the athena-wlm API (SigV4)',
    });
    new CfnOutput(this, 'QueriesQueueUrl', {
      value: wlm.queriesQueue.queueUrl,
      description: 'Queue of submitted queries, read by the starter',
    });
    new CfnOutput(this, 'DeferredQueueUrl', {
      value: wlm.deferredQueue.queueUrl,
      description: 'Queries deferred after persistent throttling, re-driven on a schedule',
    });
    new CfnOutput(this, 'FailedQueueUrl', {
      value: wlm.failedQueue.queueUrl,
      description: 'Queries parked past the redrive cap (each message says why)',
    });
    new CfnOutput(this, 'LedgerTableName', {
      value: wlm.ledgerTable.tableName,
      description: 'Query ledger: one item per queryId, index byWorkgroup',
    });
    new CfnOutput(this, 'ResultsBucketName', { value: wlm.resultsBucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', {
      value: wlm.stateMachine.stateMachineArn,
      description: 'run-query state machine; each execution is named after its queryId',
    });
    new CfnOutput(this, 'DashboardName', { value: wlm.dashboard.dashboardName });
    new CfnOutput(this, 'AdminTopicArn', {
      value: wlm.alertTopic.topicArn,
      description: 'Account-wide alerts (quota, failed queue, throttling); subscribe to it',
    });
    new CfnOutput(this, 'MetricsNamespace', {
      value: wlm.metricsNamespace,
      description:
        "CloudWatch namespace of athena-wlm's metrics (StartQueryCount, ThrottlingErrorCount, RestartQueryCount)",
    });
    new CfnOutput(this, 'QueryRoleArn', {
      value: wlm.stateMachine.role.roleArn,
      description:
        'The role Athena reads data as: grant it in bucket policies, KMS key policies and Lake Formation',
    });
  }
}
