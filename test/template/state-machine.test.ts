import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SeedMetrics } from '../../contracts/metrics';
import { AthenaWorkloadManager } from '../../lib/athena-workload-manager';
import { START_QUERY_COUNT_PATTERN, THROTTLING_ERROR_COUNT_PATTERN } from '../../lib/seed-metrics';
import { RUN_QUERY_PLACEHOLDERS } from '../../state-machines/run-query';
import { decide, resolveStatements, sampleReferences } from '../support/iam-policy';
import { matchesFilterPattern } from './filter-pattern';
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
  testApp,
} from './support';

type Json = Record<string, unknown>;
let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize({
    config: configWith({
      throttleRetry: { intervalSeconds: 3, backoffRate: 2, maxDelaySeconds: 45, maxAttempts: 4 },
    }),
    dataBucketArns: ['arn:aws:s3:::my-data-lake'],
  });
});

const machine = () => propertiesOf(synthesized.template, 'AWS::StepFunctions::StateMachine', 'RunQuery');
const definition = () => {
  const body = machine().DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '"TOKEN"')).join('');
  return JSON.parse(text) as { States: Record<string, Json> };
};
const roleStatements = () => {
  const role = synthesized.stack.workloadManager.stateMachine.role;
  return statementsForRole(synthesized.template, logicalId(synthesized.stack, role));
};
const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(synthesized.stack, construct);

describe('run-query state machine', () => {
  it('is a Standard state machine running Athena with the .sync integration', () => {
    expect(machine().StateMachineType).toBe('STANDARD');
    expect(definition().States.StartQuery.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
  });

  it('retries TooManyRequestsException with full jitter and the configured attempts', () => {
    const retriers = definition().States.StartQuery.Retry as Json[];
    const throttle = retriers.find((r) =>
      (r.ErrorEquals as string[]).includes('Athena.TooManyRequestsException'),
    );
    expect(throttle).toMatchObject({
      JitterStrategy: 'FULL',
      MaxAttempts: 4,
      IntervalSeconds: 3,
      MaxDelaySeconds: 45,
      BackoffRate: 2,
    });
  });

  it('substitutes every placeholder of the ASL file', () => {
    const substitutions = machine().DefinitionSubstitutions as Json;
    expect(Object.keys(substitutions).sort()).toEqual([...RUN_QUERY_PLACEHOLDERS].sort());
    const wlm = synthesized.stack.workloadManager;
    expect(substitutions).toEqual({
      LedgerTableName: { Ref: id(wlm.ledgerTable) },
      WakeQueueUrl: { Ref: id(wlm.wakeQueue) },
      DeferredQueueUrl: { Ref: id(wlm.deferredQueue) },
    });
  });

  it('logs every event type without execution data, and traces with X-Ray', () => {
    expect(machine().LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(machine().TracingConfiguration).toEqual({ Enabled: true });
  });

  it('grants no wildcard action', () => {
    for (const statement of roleStatements()) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
  });

  it('runs Athena queries only in the class workgroups', () => {
    const athena = roleStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('athena:')));
    const queryStatements = athena.filter((s) => !actionsOf(s).includes('athena:GetDataCatalog'));
    expect(queryStatements.flatMap(actionsOf).sort()).toEqual([
      'athena:GetQueryExecution',
      'athena:StartQueryExecution',
      'athena:StopQueryExecution',
    ]);
    const resources = queryStatements.flatMap(resourcesOfStatement).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(5);
    for (const name of ['predictable', 'fast', 'long', 'exploratory', 'adhoc']) {
      expect(resources.some((r) => r.includes(`:workgroup/athena-wlm-${name}"`))).toBe(true);
    }
    const catalog = athena.find((s) => actionsOf(s).includes('athena:GetDataCatalog')) as Json;
    expect(actionsOf(catalog)).toEqual(['athena:GetDataCatalog']);
    expect(JSON.stringify(catalog.Resource)).toContain(':datacatalog/AwsDataCatalog');
  });

  it('writes to DynamoDB only with UpdateItem on the ledger (the dispatcher owns the slots)', () => {
    const dynamo = roleStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actionsOf)).toEqual(['dynamodb:UpdateItem']);
    const wlm = synthesized.stack.workloadManager;
    expect(dynamo.flatMap(resourcesOfStatement)).toEqual([{ 'Fn::GetAtt': [id(wlm.ledgerTable), 'Arn'] }]);
  });

  it('sends only to the deferred and wake queues and uses S3 only on the results prefix and the data buckets', () => {
    const statements = roleStatements();
    const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    // sqs:sendMessage and sqs:sendMessage.waitForTaskToken both need sqs:SendMessage only.
    expect(sqs.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
    const wlm = synthesized.stack.workloadManager;
    expect(sqs.flatMap(resourcesOfStatement)).toEqual([
      { 'Fn::GetAtt': [id(wlm.deferredQueue), 'Arn'] },
      { 'Fn::GetAtt': [id(wlm.wakeQueue), 'Arn'] },
    ]);
    // Completing task tokens is the dispatcher's, never the state machine's own.
    expect(statements.flatMap(actionsOf).some((a) => a.startsWith('states:SendTask'))).toBe(false);
    const s3Resources = statements
      .filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')))
      .flatMap(resourcesOfStatement)
      .map((r) => JSON.stringify(r));
    const bucket = id(synthesized.stack.workloadManager.resultsBucket);
    for (const resource of s3Resources) {
      const onResults = resource.includes(bucket);
      const onData = resource.includes('arn:aws:s3:::my-data-lake');
      expect(onResults || onData).toBe(true);
      if (onResults && resource.includes('/')) expect(resource).toContain('/results/*');
    }
    const putObject = statements
      .filter((s) => actionsOf(s).includes('s3:PutObject'))
      .flatMap(resourcesOfStatement);
    expect(JSON.stringify(putObject)).not.toContain('my-data-lake');
  });

  it('needs no EventBridge permissions (Athena .sync polls)', () => {
    expect(
      roleStatements()
        .flatMap(actionsOf)
        .some((a) => a.startsWith('events:')),
    ).toBe(false);
  });
});

describe('data buckets', () => {
  let stack: Stack;
  let template: Template;
  beforeAll(() => {
    stack = new Stack(testApp(), 'Buckets');
    const lake = new s3.Bucket(stack, 'Lake', {
      bucketName: 'kms-lake',
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: new kms.Key(stack, 'LakeKey'),
    });
    const other = new s3.Bucket(stack, 'Other', { bucketName: 'other-lake' });
    const wlm = new AthenaWorkloadManager(stack, 'Wlm', {
      config: configWith({ dataBuckets: ['alb-logs-bucket'] }),
      dataBuckets: [lake],
      dataBucketArns: [other.bucketArn],
    });
    template = Template.fromStack(stack);
    queryRole = logicalId(stack, wlm.stateMachine.role);
  });
  let queryRole: string;

  /** What the state machine's role, with whose credentials Athena reads the data, may do. */
  const queryRoleMay = (action: string, resource: string) => {
    const json = template.toJSON();
    const statements = resolveStatements(
      statementsForRole(template, queryRole),
      sampleReferences(json as Parameters<typeof sampleReferences>[0]),
    );
    return decide(statements, { action, resource });
  };

  it('lets Athena list and read the buckets of config.dataBuckets (the reference sample reads alb_logs this way)', () => {
    expect(
      queryRoleMay('s3:GetObject', 'arn:aws:s3:::alb-logs-bucket/AWSLogs/1/elasticloadbalancing/x.gz'),
    ).toBe('allowed');
    expect(queryRoleMay('s3:ListBucket', 'arn:aws:s3:::alb-logs-bucket')).toBe('allowed');
    expect(queryRoleMay('s3:PutObject', 'arn:aws:s3:::alb-logs-bucket/x')).toBe('not allowed');
    expect(queryRoleMay('s3:GetObject', 'arn:aws:s3:::someone-elses-bucket/x')).toBe('not allowed');
  });

  it('takes buckets as IBucket (decrypting with their KMS key) and as ARN tokens', () => {
    expect(queryRoleMay('s3:GetObject', 'arn:aws:s3:::kms-lake/table/part-0.parquet')).toBe('allowed');
    const key = `arn:aws:kms:eu-west-1:123456789012:key/${stack.getLogicalId(
      stack.node.findChild('LakeKey').node.defaultChild as never,
    )}`;
    expect(queryRoleMay('kms:Decrypt', key)).toBe('allowed');
    expect(queryRoleMay('s3:GetObject', 'arn:aws:s3:::other-lake/x')).toBe('allowed');
  });
});

describe('seed metric filters', () => {
  const filters = () => Object.values(resourcesOf(synthesized.template, 'AWS::Logs::MetricFilter'));

  it('publish StartQueryCount and ThrottlingErrorCount in AthenaWLM from the state machine log', () => {
    const logGroup = id(synthesized.stack.workloadManager.parts.runQuery.logGroup);
    type FilterProps = Json & { MetricTransformations: Json[] };
    const byName: Record<string, FilterProps> = Object.fromEntries(
      filters().map((f) => {
        const props = f.Properties as FilterProps;
        expect(props.LogGroupName).toEqual({ Ref: logGroup });
        return [props.MetricTransformations[0].MetricName as string, props];
      }),
    );
    expect(Object.keys(byName).sort()).toEqual(['StartQueryCount', 'ThrottlingErrorCount']);
    expect(byName.StartQueryCount.FilterPattern).toBe(START_QUERY_COUNT_PATTERN);
    expect(byName.ThrottlingErrorCount.FilterPattern).toBe(THROTTLING_ERROR_COUNT_PATTERN);
    for (const props of Object.values(byName)) {
      expect(props.MetricTransformations[0]).toMatchObject({
        MetricNamespace: 'AthenaWLM',
        MetricValue: '1',
      });
    }
    expect(SeedMetrics.startQueryCount).toBe('StartQueryCount');
  });

  const event = (type: string, details: Json) =>
    JSON.stringify({
      id: '7',
      type,
      details,
      previous_event_id: '6',
      event_timestamp: '1700000000000',
      execution_arn: 'arn:aws:states:us-east-1:123456789012:execution:athena-wlm-run-query:q-1',
    });
  const athenaSync = { resourceType: 'athena', resource: 'startQueryExecution.sync' };

  it('counts a start only when Athena accepted the query', () => {
    expect(matchesFilterPattern(START_QUERY_COUNT_PATTERN, event('TaskSubmitted', athenaSync))).toBe(true);
    expect(matchesFilterPattern(START_QUERY_COUNT_PATTERN, event('TaskScheduled', athenaSync))).toBe(false);
    expect(matchesFilterPattern(START_QUERY_COUNT_PATTERN, event('TaskStarted', athenaSync))).toBe(false);
    expect(
      matchesFilterPattern(
        START_QUERY_COUNT_PATTERN,
        event('TaskSubmitFailed', { ...athenaSync, error: 'Athena.TooManyRequestsException' }),
      ),
    ).toBe(false);
    expect(
      matchesFilterPattern(
        START_QUERY_COUNT_PATTERN,
        event('TaskSubmitted', { resourceType: 'sqs', resource: 'sendMessage' }),
      ),
    ).toBe(false);
    expect(matchesFilterPattern(START_QUERY_COUNT_PATTERN, 'not json')).toBe(false);
  });

  it('counts TooManyRequests responses, and no other error', () => {
    const throttled = { ...athenaSync, error: 'Athena.TooManyRequestsException', cause: 'Rate exceeded' };
    expect(matchesFilterPattern(THROTTLING_ERROR_COUNT_PATTERN, event('TaskSubmitFailed', throttled))).toBe(
      true,
    );
    expect(matchesFilterPattern(THROTTLING_ERROR_COUNT_PATTERN, event('TaskFailed', throttled))).toBe(true);
    for (const error of [
      'Athena.InvalidRequestException',
      'States.TaskFailed',
      'Athena.ThrottlingException',
    ]) {
      expect(
        matchesFilterPattern(
          THROTTLING_ERROR_COUNT_PATTERN,
          event('TaskSubmitFailed', { ...athenaSync, error }),
        ),
      ).toBe(false);
    }
    expect(
      matchesFilterPattern(
        THROTTLING_ERROR_COUNT_PATTERN,
        event('TaskFailed', {
          resourceType: 'dynamodb',
          resource: 'updateItem',
          error: 'Athena.TooManyRequestsException',
        }),
      ),
    ).toBe(false);
    expect(matchesFilterPattern(THROTTLING_ERROR_COUNT_PATTERN, event('TaskSubmitted', athenaSync))).toBe(
      false,
    );
  });
});
