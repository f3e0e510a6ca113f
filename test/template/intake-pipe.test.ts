/**
 * The ledger's stream and the EventBridge Pipe that queues each recorded query: what the template
 * deploys, and that the pipe's role may do only what the pipe does.
 */
import {
  INTAKE_FILTER_PATTERN,
  INTAKE_MAX_RECORD_AGE,
  INTAKE_MAX_RETRIES,
  INTAKE_MESSAGE_TEMPLATE,
} from '../../lib/query-intake-pipe';
import {
  actionsOf,
  logicalId,
  propertiesOf,
  resourcesOfStatement,
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
const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(synthesized.stack, construct);

describe('the intake pipe', () => {
  it('gives the ledger a stream of new images', () => {
    const table = synthesized.template.toJSON().Resources[id(wlm().ledgerTable)].Properties as Json;
    expect(table.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('reads the ledger stream from its oldest record, passes INSERTs only and sends them to queries', () => {
    const pipe = propertiesOf(synthesized.template, 'AWS::Pipes::Pipe', 'Intake');
    const ledger = id(wlm().ledgerTable);
    expect(pipe.Source).toEqual({ 'Fn::GetAtt': [ledger, 'StreamArn'] });
    expect(pipe.Target).toEqual({ 'Fn::GetAtt': [id(wlm().queriesQueue), 'Arn'] });
    expect(pipe.TargetParameters).toEqual({ InputTemplate: INTAKE_MESSAGE_TEMPLATE });
    const source = pipe.SourceParameters as Json;
    expect(source.FilterCriteria).toEqual({ Filters: [{ Pattern: INTAKE_FILTER_PATTERN }] });
    expect(JSON.parse(INTAKE_FILTER_PATTERN)).toEqual({ eventName: ['INSERT'] });
    expect(source.DynamoDBStreamParameters).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
    });
  });

  it('is created before the API stage that takes submissions goes live', () => {
    const stage = synthesized.template.toJSON().Resources[id(wlm().parts.queryApi.api.deploymentStage)];
    expect(stage.DependsOn).toEqual(
      expect.arrayContaining([synthesized.stack.getLogicalId(wlm().parts.intake.pipe)]),
    );
  });

  it('retries until delivered and sets aside only batches the stream would drop in intake-failed, which alarms the admins', () => {
    const pipe = propertiesOf(synthesized.template, 'AWS::Pipes::Pipe', 'Intake');
    const dlq = id(wlm().parts.intake.deadLetterQueue);
    expect((pipe.SourceParameters as Json).DynamoDBStreamParameters).toMatchObject({
      MaximumRetryAttempts: INTAKE_MAX_RETRIES,
      MaximumRecordAgeInSeconds: INTAKE_MAX_RECORD_AGE.toSeconds(),
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
    });
    // Retried until delivered, and set aside only when the stream (24 hours) would drop it anyway.
    expect(INTAKE_MAX_RETRIES).toBe(-1);
    expect(INTAKE_MAX_RECORD_AGE.toSeconds()).toBe(24 * 3600);

    const queue = synthesized.template.toJSON().Resources[dlq].Properties as Json;
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const alarm = synthesized.template.toJSON().Resources[id(wlm().parts.intake.deadLetterAlarm)]
      .Properties as Json;
    expect(alarm).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: id(wlm().alertTopic) }],
    });
    expect(alarm.AlarmDescription).toEqual(expect.stringContaining('stay QUEUED'));
  });

  it('lets the pipe read only the ledger stream and send only to queries and its dead-letter queue', () => {
    const role = id(wlm().parts.intake.role);
    const roleProps = synthesized.template.toJSON().Resources[role].Properties as Json;
    expect(JSON.stringify(roleProps.AssumeRolePolicyDocument)).toContain('pipes.amazonaws.com');
    const statements = statementsForRole(synthesized.template, role).map((s) => [
      actionsOf(s).sort(),
      resourcesOfStatement(s).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ]);
    const ledger = id(wlm().ledgerTable);
    expect(statements).toEqual([
      [
        ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        [{ 'Fn::GetAtt': [ledger, 'StreamArn'] }],
      ],
      [['dynamodb:ListStreams'], ['*']],
      [
        ['sqs:SendMessage'],
        [
          { 'Fn::GetAtt': [id(wlm().parts.intake.deadLetterQueue), 'Arn'] },
          { 'Fn::GetAtt': [id(wlm().queriesQueue), 'Arn'] },
        ],
      ],
    ]);
    const pipe = propertiesOf(synthesized.template, 'AWS::Pipes::Pipe', 'Intake');
    expect(pipe.RoleArn).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
  });
});
