import { Match } from 'aws-cdk-lib/assertions';
import { ENV } from '../../contracts/env';
import { wakeEventSchema } from '../../functions/core/wake-event';
import { DISPATCHER_BATCH_SIZE, DISPATCHER_TIMEOUT } from '../../lib/query-dispatcher';
import { VISIBILITY_TO_TIMEOUT_RATIO, WAKE_MAX_RECEIVES } from '../../lib/query-queues';
import { matchesEventPattern, transformInput } from './event-pattern';
import {
  actionsOf,
  evaluate,
  logicalId,
  resourcesOf,
  resourcesOfStatement,
  SAMPLE_PSEUDO_PARAMETERS,
  type Synthesized,
  statementsForRole,
  synthesize,
} from './support';

type Json = Record<string, unknown>;

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
});

const wlm = () => synthesized.stack.workloadManager;
const dispatcher = () => wlm().parts.dispatcher;
const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(synthesized.stack, construct);
const resource = (construct: { node: { defaultChild?: unknown } }) =>
  synthesized.template.toJSON().Resources[id(construct)] as Json & { Properties: Json };
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every identity-based statement of the stack, with the logical id of the role it is attached to. */
function statementsByRole(): { role: string; statement: Json }[] {
  return Object.values(resourcesOf(synthesized.template, 'AWS::IAM::Policy')).flatMap((policy) => {
    const props = policy.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Json[] } };
    return props.Roles.flatMap((role) =>
      props.PolicyDocument.Statement.map((statement) => ({ role: role.Ref, statement })),
    );
  });
}

/** Roles that may call `action` on `target` (by its ARN as the template writes it). */
function rolesAllowed(action: string, target: unknown): string[] {
  return [
    ...new Set(
      statementsByRole()
        .filter(
          ({ statement }) =>
            statement.Effect === 'Allow' &&
            actionsOf(statement).includes(action) &&
            resourcesOfStatement(statement).some((r) => same(r, target)),
        )
        .map(({ role }) => role),
    ),
  ].sort();
}

describe('dispatcher function', () => {
  it('runs one invocation at a time (reserved concurrency 1) on Node.js 22, arm64, traced', () => {
    expect(resource(dispatcher().handler.function).Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: DISPATCHER_TIMEOUT.toSeconds(),
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('gets the environment its handler reads, and no more', () => {
    const variables = (resource(dispatcher().handler.function).Properties.Environment as { Variables: Json })
      .Variables;
    expect(Object.keys(variables).sort()).toEqual(
      [
        ENV.config,
        ENV.ledgerTable,
        ENV.dispatchTable,
        ENV.wakeQueueUrl,
        ENV.wakeFailedQueueUrl,
        ENV.stateMachineArn,
        'NODE_OPTIONS',
        'POWERTOOLS_METRICS_NAMESPACE',
      ].sort(),
    );
    expect(variables).toMatchObject({
      [ENV.dispatchTable]: { Ref: id(wlm().dispatchTable) },
      [ENV.wakeQueueUrl]: { Ref: id(wlm().wakeQueue) },
      [ENV.wakeFailedQueueUrl]: { Ref: id(wlm().parts.queues.wakeFailed) },
      [ENV.stateMachineArn]: { Ref: id(wlm().stateMachine) },
    });
  });

  it('reads the wake queue in batches of 10, retrying a failed batch whole (every event is idempotent)', () => {
    const mappings = Object.values(resourcesOf(synthesized.template, 'AWS::Lambda::EventSourceMapping'))
      .map((m) => m.Properties as Json)
      .filter((p) => same(p.FunctionName, { Ref: id(dispatcher().handler.function) }));
    expect(mappings).toEqual([
      {
        EventSourceArn: arnOf(wlm().wakeQueue),
        FunctionName: expect.anything(),
        BatchSize: DISPATCHER_BATCH_SIZE,
      },
    ]);
    // SQS FIFO event sources take at most 10 messages per batch (Lambda developer guide, SQS event source).
    expect(DISPATCHER_BATCH_SIZE).toBeLessThanOrEqual(10);
  });
});

describe('wake queue', () => {
  it('is a FIFO queue with content-based deduplication, SSE, and a FIFO dead-letter queue', () => {
    const wake = resource(wlm().wakeQueue).Properties;
    expect(wake).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: true,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(wlm().parts.queues.wakeFailed),
        maxReceiveCount: WAKE_MAX_RECEIVES,
      },
    });
    // A FIFO queue's dead-letter queue must be FIFO too (SQS developer guide, dead-letter queues).
    expect(resource(wlm().parts.queues.wakeFailed).Properties).toMatchObject({
      FifoQueue: true,
      SqsManagedSseEnabled: true,
    });
    expect(String(wake.QueueName)).toMatch(/\.fifo$/);
  });

  it('hides a batch at least 6 x the dispatcher timeout, so a pass never overlaps its own retry', () => {
    expect(resource(wlm().wakeQueue).Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      VISIBILITY_TO_TIMEOUT_RATIO * DISPATCHER_TIMEOUT.toSeconds(),
    );
  });

  it('refuses every request that is not TLS, on both queues', () => {
    for (const queue of [wlm().wakeQueue, wlm().parts.queues.wakeFailed]) {
      const policy = Object.values(resourcesOf(synthesized.template, 'AWS::SQS::QueuePolicy')).find((p) =>
        same((p.Properties as Json).Queues, [{ Ref: id(queue) }]),
      ) as Json;
      expect(((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('set-aside wake events', () => {
  it('alarm when any is still set aside, visible or in flight, 6 minutes running (each sweep retries them every minute)', () => {
    const queueMetric = (name: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: {
            MetricName: name,
            Namespace: 'AWS/SQS',
            Dimensions: [
              {
                Name: 'QueueName',
                Value: { 'Fn::GetAtt': [id(wlm().parts.queues.wakeFailed), 'QueueName'] },
              },
            ],
          },
          Period: 60,
          Stat: 'Minimum',
        }),
        ReturnData: false,
      });
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'visible + inFlight', ReturnData: true }),
        queueMetric('ApproximateNumberOfMessagesVisible'),
        queueMetric('ApproximateNumberOfMessagesNotVisible'),
      ]),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      AlarmActions: [{ Ref: id(wlm().alertTopic) }],
    });
  });
});

describe('safety sweep', () => {
  it('sends a sweep to the wake queue every minute, in the dispatcher’s message group', () => {
    const schedule = resource(dispatcher().sweep).Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: {
        Arn: arnOf(wlm().wakeQueue),
        SqsParameters: { MessageGroupId: 'dispatch' },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });
  });

  it('makes each sweep’s body unique, so content-based deduplication never drops a minute’s sweep', () => {
    // SQS drops a FIFO message whose deduplication id (with content-based deduplication: the SHA-256 of
    // the body) was seen in the last 5 minutes. Scheduler fills <aws.scheduler.scheduled-time> per run.
    const input = (resource(dispatcher().sweep).Properties.Target as Json).Input as string;
    const at = (time: string) => input.split('<aws.scheduler.scheduled-time>').join(time);
    expect(input).toContain('<aws.scheduler.scheduled-time>');
    expect(at('2026-01-01T00:00:00Z')).not.toBe(at('2026-01-01T00:01:00Z'));
    expect(wakeEventSchema.parse(JSON.parse(at('2026-01-01T00:00:00Z')))).toEqual({
      type: 'sweep',
      why: 'schedule 2026-01-01T00:00:00Z',
    });
  });

  it('runs as a role that Scheduler of this account alone may assume, which may only send to the wake queue', () => {
    const role = resource(dispatcher().sweep).Properties.Target as Json;
    const roleId = (role.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const trust = (synthesized.template.toJSON().Resources[roleId].Properties as Json)
      .AssumeRolePolicyDocument as {
      Statement: Json[];
    };
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    const statements = statementsForRole(synthesized.template, roleId);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: arnOf(wlm().wakeQueue) }),
    ]);
  });
});

describe('config change rule', () => {
  const rule = () => resource(dispatcher().configChangeRule).Properties;
  const stackId = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AthenaWlm/1a2b3c';
  const event = (status: string, stack = stackId) => ({
    version: '0',
    id: 'e1',
    'detail-type': 'CloudFormation Stack Status Change',
    source: 'aws.cloudformation',
    account: '123456789012',
    time: '2026-01-01T12:00:00Z',
    region: 'eu-west-1',
    resources: [stack],
    // The detail of a stack status event (CloudFormation user guide, Stack Status Change event detail).
    detail: { 'stack-id': stack, 'status-details': { status, 'status-reason': '' } },
  });
  const pattern = () => {
    const raw = rule().EventPattern as { detail: { 'stack-id': unknown[] } };
    return {
      ...raw,
      detail: {
        ...raw.detail,
        'stack-id': [evaluate(raw.detail['stack-id'][0], { 'AWS::StackId': stackId })],
      },
    };
  };

  it('matches this stack’s completed creates and updates only', () => {
    expect(matchesEventPattern(pattern(), event('UPDATE_COMPLETE'))).toBe(true);
    expect(matchesEventPattern(pattern(), event('CREATE_COMPLETE'))).toBe(true);
    expect(matchesEventPattern(pattern(), event('UPDATE_IN_PROGRESS'))).toBe(false);
    expect(matchesEventPattern(pattern(), event('UPDATE_ROLLBACK_COMPLETE'))).toBe(false);
    expect(matchesEventPattern(pattern(), event('UPDATE_COMPLETE', `${stackId}-other`))).toBe(false);
  });

  it('sends the dispatcher a sweep with the event’s time, in its message group', () => {
    const [target] = rule().Targets as Json[];
    expect(target).toMatchObject({
      Arn: arnOf(wlm().wakeQueue),
      SqsParameters: { MessageGroupId: 'dispatch' },
    });
    const body = transformInput(target.InputTransformer as never, event('UPDATE_COMPLETE'));
    expect(wakeEventSchema.parse(JSON.parse(body))).toEqual({
      type: 'sweep',
      why: 'config change 2026-01-01T12:00:00Z',
    });
  });

  it('may send to the wake queue only as this rule (queue policy with aws:SourceArn)', () => {
    const policy = Object.values(resourcesOf(synthesized.template, 'AWS::SQS::QueuePolicy')).find((p) =>
      same((p.Properties as Json).Queues, [{ Ref: id(wlm().wakeQueue) }]),
    ) as Json;
    const allows = ((policy.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement.filter(
      (s) => s.Effect === 'Allow',
    );
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': arnOf(dispatcher().configChangeRule) } },
        Resource: arnOf(wlm().wakeQueue),
      }),
    ]);
    expect(actionsOf(allows[0])).toContain('sqs:SendMessage');
  });
});

describe('dispatch table', () => {
  it('keys lines and slots by pk/sk, on demand, encrypted, with point-in-time recovery and TTL on expiresAt', () => {
    expect(resource(wlm().dispatchTable).Properties).toEqual(
      expect.objectContaining({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    expect(resource(wlm().dispatchTable).Properties.GlobalSecondaryIndexes).toBeUndefined();
  });
});

describe('least privilege', () => {
  const dispatcherRole = () => id(dispatcher().handler.role);

  it('gives the dispatcher exactly the calls its code makes', () => {
    const statements = statementsForRole(synthesized.template, dispatcherRole());
    const grants = (action: string) =>
      statements.filter((s) => actionsOf(s).includes(action)).flatMap(resourcesOfStatement);
    const executions = evaluate(grants('states:StopExecution')[0], {
      ...SAMPLE_PSEUDO_PARAMETERS,
      [`${id(wlm().stateMachine)}.Name`]: 'athena-wlm-run-query',
    });
    expect(executions).toBe('arn:aws:states:eu-west-1:123456789012:execution:athena-wlm-run-query:*');
    expect(grants('dynamodb:PutItem')).toEqual([arnOf(wlm().dispatchTable)]);
    expect(grants('dynamodb:DeleteItem')).toEqual([arnOf(wlm().dispatchTable)]);
    expect(grants('dynamodb:Query')).toEqual([arnOf(wlm().dispatchTable)]);
    expect(grants('dynamodb:GetItem')).toEqual([arnOf(wlm().ledgerTable)]);
    expect(grants('dynamodb:UpdateItem')).toEqual([arnOf(wlm().ledgerTable)]);
    expect(grants('states:StartExecution')).toEqual([{ Ref: id(wlm().stateMachine) }]);
    // Task tokens of service integrations have no resource IAM can name (they are not activities).
    expect(grants('states:SendTaskSuccess')).toEqual(['*']);
    expect(grants('states:SendTaskFailure')).toEqual(['*']);
    expect(grants('sqs:ReceiveMessage')).toEqual([
      arnOf(wlm().wakeQueue),
      arnOf(wlm().parts.queues.wakeFailed),
    ]);
    expect(grants('sqs:DeleteMessage')).toEqual([
      arnOf(wlm().wakeQueue),
      arnOf(wlm().parts.queues.wakeFailed),
    ]);
    expect(grants('sqs:SendMessage')).toEqual([arnOf(wlm().wakeQueue)]);
    const unexpected = statements
      .flatMap(actionsOf)
      .filter((a) => !/^(logs|xray|servicequotas|dynamodb|states|sqs):/.test(a));
    expect(unexpected).toEqual([]);
    for (const action of statements.flatMap(actionsOf)) expect(action).not.toContain('*');
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
  });

  it('lets only the dispatcher write the dispatch table (one writer); others may only Query it', () => {
    const table = arnOf(wlm().dispatchTable);
    for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem']) {
      expect(rolesAllowed(action, table)).toEqual([dispatcherRole()]);
    }
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']) {
      expect(rolesAllowed(action, table)).toEqual([]);
    }
    const readers = rolesAllowed('dynamodb:Query', table);
    expect(readers).toEqual(
      [
        dispatcherRole(),
        id(wlm().parts.queryApi.getQueryFunction.role),
        id(wlm().parts.lifecycle.listWorkgroupsFunction.role),
        id(wlm().parts.reconciler.handler.role),
        id(wlm().parts.quotaMonitor.handler.role),
      ].sort(),
    );
  });

  it('lets only the dispatcher complete task tokens', () => {
    const holders = statementsByRole()
      .filter(({ statement }) =>
        actionsOf(statement).some((a) => a === 'states:SendTaskSuccess' || a === 'states:SendTaskFailure'),
      )
      .map(({ role }) => role);
    expect([...new Set(holders)]).toEqual([dispatcherRole()]);
  });

  it('lets exactly the parts that wake the dispatcher send to its queue', () => {
    const machineRole = id(wlm().stateMachine.role);
    const sweepRole = (
      (resource(dispatcher().sweep).Properties.Target as Json).RoleArn as { 'Fn::GetAtt': string[] }
    )['Fn::GetAtt'][0];
    expect(rolesAllowed('sqs:SendMessage', arnOf(wlm().wakeQueue))).toEqual(
      [
        machineRole,
        dispatcherRole(),
        sweepRole,
        id(wlm().parts.lifecycle.cancelQueryFunction.role),
        id(wlm().parts.reconciler.handler.role),
      ].sort(),
    );
    // The starter starts executions; it neither waits for slots nor talks to the dispatcher.
    const starter = statementsForRole(synthesized.template, id(wlm().parts.starter.handler.role));
    expect(starter.flatMap(resourcesOfStatement).some((r) => same(r, arnOf(wlm().wakeQueue)))).toBe(false);
    expect(starter.flatMap(resourcesOfStatement).some((r) => same(r, arnOf(wlm().dispatchTable)))).toBe(
      false,
    );
  });
});
