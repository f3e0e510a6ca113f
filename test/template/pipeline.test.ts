import { Match } from 'aws-cdk-lib/assertions';
import { ENV } from '../../contracts/env';
import { VISIBILITY_TO_TIMEOUT_RATIO } from '../../lib/query-queues';
import {
  actionsOf,
  configWith,
  logicalId,
  propertiesOf,
  resourcesOf,
  resourcesOfStatement,
  type Synthesized,
  statementsForRole,
  synthesize,
} from './support';

type Json = Record<string, unknown>;
let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize({
    config: configWith({
      quota: { activeDmlQueries: 20, headroom: 2, alarmAtPercent: 80 },
      redrive: { everyMinutes: 2, maxMessagesPerRun: 100, maxRedrives: 10 },
    }),
  });
});

const queue = (idPart: string) => propertiesOf(synthesized.template, 'AWS::SQS::Queue', `Queues${idPart}`);
const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(synthesized.stack, construct);
const parts = () => synthesized.stack.workloadManager.parts;
const functionProps = (fn: { function: { node: { defaultChild?: unknown } } }) =>
  synthesized.template.toJSON().Resources[id(fn.function)].Properties as Json;
const roleStatements = (fn: { role: { node: { defaultChild?: unknown } } }) =>
  statementsForRole(synthesized.template, id(fn.role));
const hasGrant = (statements: Json[], action: string, resource: unknown) =>
  statements.some(
    (s) =>
      actionsOf(s).includes(action) &&
      resourcesOfStatement(s).some((r) => JSON.stringify(r) === JSON.stringify(resource)),
  );

describe('queues', () => {
  it('encrypts every queue with SSE and keeps messages 14 days', () => {
    for (const q of ['Queries', 'Deferred', 'Failed']) {
      expect(queue(q)).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
  });

  it('denies every queue request that is not TLS', () => {
    const policies = Object.values(resourcesOf(synthesized.template, 'AWS::SQS::QueuePolicy'));
    // queries, deferred, failed, and the dispatcher's wake queue and its dead-letter queue.
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect((policy.Properties as Json).PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
  });

  it('parks a queries message in queries-failed after config.admission.maxReceives receives', () => {
    const failed = id(synthesized.stack.workloadManager.failedQueue);
    expect(queue('Queries').RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [failed, 'Arn'] },
      maxReceiveCount: synthesized.stack.workloadManager.config.admission.maxReceives,
    });
    expect(queue('Deferred').RedrivePolicy).toMatchObject({
      deadLetterTargetArn: { 'Fn::GetAtt': [failed, 'Arn'] },
    });
  });

  it('hides a queries message at least 6 x the starter timeout', () => {
    const timeout = functionProps(parts().starter.handler).Timeout as number;
    expect(timeout).toBe(30);
    expect(queue('Queries').VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TO_TIMEOUT_RATIO * timeout);
    expect(queue('Queries').VisibilityTimeout).toBe(180);
  });
});

describe('starter', () => {
  it('reads queries in batches of 10 with partial batch failures and bounded concurrency', () => {
    synthesized.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [id(synthesized.stack.workloadManager.queriesQueue), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('runs on Node.js 22, arm64, 30 s, traced, with the environment the handler reads', () => {
    const props = functionProps(parts().starter.handler);
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
    });
    const env = (props.Environment as { Variables: Json }).Variables;
    expect(Object.keys(env).sort()).toEqual(
      [
        ENV.config,
        ENV.ledgerTable,
        ENV.stateMachineArn,
        ENV.queriesQueueUrl,
        ENV.failedQueueUrl,
        'NODE_OPTIONS',
        'POWERTOOLS_METRICS_NAMESPACE',
      ].sort(),
    );
    expect(JSON.parse(env[ENV.config] as string)).toMatchObject({
      namePrefix: 'athena-wlm',
      defaultClass: 'adhoc',
    });
  });

  it('may start run-query executions, back off a retry on queries, park in queries-failed, and takes no slot', () => {
    const wlm = synthesized.stack.workloadManager;
    const statements = roleStatements(parts().starter.handler);
    expect(hasGrant(statements, 'states:StartExecution', { Ref: id(wlm.stateMachine) })).toBe(true);
    expect(
      hasGrant(statements, 'sqs:ChangeMessageVisibility', { 'Fn::GetAtt': [id(wlm.queriesQueue), 'Arn'] }),
    ).toBe(true);
    expect(hasGrant(statements, 'sqs:SendMessage', { 'Fn::GetAtt': [id(wlm.failedQueue), 'Arn'] })).toBe(
      true,
    );
    // Admission is the dispatcher's: the starter neither reads the quota nor touches the dispatch table.
    const dispatch = JSON.stringify({ 'Fn::GetAtt': [id(wlm.dispatchTable), 'Arn'] });
    expect(statements.flatMap(resourcesOfStatement).map((r) => JSON.stringify(r))).not.toContain(dispatch);
    expect(statements.flatMap(actionsOf).some((a) => a.startsWith('servicequotas:'))).toBe(false);
  });

  it("uses no managed policies: every function role gets only explicit grants (API Gateway's logging role takes AWS's)", () => {
    const withManaged = Object.values(resourcesOf(synthesized.template, 'AWS::IAM::Role')).filter(
      (role) => (role.Properties as Json).ManagedPolicyArns !== undefined,
    );
    expect(withManaged).toHaveLength(1);
    expect(JSON.stringify((withManaged[0].Properties as Json).AssumeRolePolicyDocument)).toContain(
      'apigateway.amazonaws.com',
    );
    expect(JSON.stringify((withManaged[0].Properties as Json).ManagedPolicyArns)).toContain(
      ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    );
  });
});

describe('redrive', () => {
  it('runs on the configured rate with no overlapping runs', () => {
    synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(2 minutes)',
      Target: { Arn: { 'Fn::GetAtt': [id(parts().redrive.handler.function), 'Arn'] } },
    });
    expect(functionProps(parts().redrive.handler).ReservedConcurrentExecutions).toBe(1);
  });

  it('consumes deferred and sends to queries and failed', () => {
    const wlm = synthesized.stack.workloadManager;
    const statements = roleStatements(parts().redrive.handler);
    expect(hasGrant(statements, 'sqs:ReceiveMessage', { 'Fn::GetAtt': [id(wlm.deferredQueue), 'Arn'] })).toBe(
      true,
    );
    expect(hasGrant(statements, 'sqs:DeleteMessage', { 'Fn::GetAtt': [id(wlm.deferredQueue), 'Arn'] })).toBe(
      true,
    );
    expect(hasGrant(statements, 'sqs:SendMessage', { 'Fn::GetAtt': [id(wlm.queriesQueue), 'Arn'] })).toBe(
      true,
    );
    expect(hasGrant(statements, 'sqs:SendMessage', { 'Fn::GetAtt': [id(wlm.failedQueue), 'Arn'] })).toBe(
      true,
    );
    expect(hasGrant(statements, 'sqs:SendMessage', { 'Fn::GetAtt': [id(wlm.deferredQueue), 'Arn'] })).toBe(
      false,
    );
  });
});

describe('slot reconciler', () => {
  it('runs when a run-query execution fails, times out or is aborted', () => {
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: id(synthesized.stack.workloadManager.stateMachine) }],
        },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [id(parts().reconciler.handler.function), 'Arn'] } }),
      ],
    });
  });

  it('also sweeps every minute', () => {
    synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      Target: { Arn: { 'Fn::GetAtt': [id(parts().reconciler.handler.function), 'Arn'] } },
    });
  });

  it('may describe and stop executions of run-query only', () => {
    const statements = roleStatements(parts().reconciler.handler).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:')),
    );
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'states:DescribeExecution',
      'states:StopExecution',
    ]);
    const resource = JSON.stringify(statements[0].Resource);
    expect(resource).toContain(':execution:');
    expect(resource).toContain(id(synthesized.stack.workloadManager.stateMachine));
  });
});

describe('quota monitor', () => {
  it('runs every 5 minutes and may read metrics, the quota and publish to the admin topic', () => {
    synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: { Arn: { 'Fn::GetAtt': [id(parts().quotaMonitor.handler.function), 'Arn'] } },
    });
    const statements = roleStatements(parts().quotaMonitor.handler);
    expect(hasGrant(statements, 'cloudwatch:GetMetricData', '*')).toBe(true);
    expect(
      hasGrant(statements, 'sns:Publish', { Ref: id(synthesized.stack.workloadManager.alertTopic) }),
    ).toBe(true);
    expect(statements.flatMap(actionsOf)).toContain('servicequotas:GetServiceQuota');
  });

  it('alarms when the account nears its DML quota', () => {
    const quota = synthesized.stack.workloadManager.config.quota.activeDmlQueries as number;
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Usage',
      MetricName: 'ResourceCount',
      Dimensions: [
        { Name: 'Class', Value: 'DML' },
        { Name: 'Resource', Value: 'ActiveQueryCount' },
        { Name: 'Service', Value: 'Athena' },
        { Name: 'Type', Value: 'Resource' },
      ],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: Math.ceil((quota * 80) / 100),
    });
  });

  it('alarms when anything is parked in queries-failed and when throttling persists', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [id(synthesized.stack.workloadManager.failedQueue), 'QueueName'] },
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AthenaWLM',
      MetricName: 'ThrottlingErrorCount',
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});
