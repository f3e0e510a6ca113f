import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_CONFIG, limitWithBuffer, type WlmConfigInput } from '../../contracts/config';
import { AthenaWorkloadManager } from '../../lib/athena-workload-manager';
import { decide, resolveStatements, sampleReferences } from '../support/iam-policy';
import {
  actionsOf,
  configWith,
  propertiesOf,
  resourcesOf,
  resourcesOfStatement,
  type Synthesized,
  synthesize,
  testApp,
} from './support';

type Json = Record<string, unknown>;
const GB = 1_000_000_000;
const classes = DEFAULT_CONFIG.classes;

let defaults: Synthesized;
let custom: Synthesized;
const customConfig: WlmConfigInput = configWith({
  namePrefix: 'acme',
  defaultClass: 'etl',
  adminEmails: ['ops@example.com'],
  glueDatabases: ['sensors'],
  classes: {
    etl: { ...classes.predictable, alertEmails: ['etl-team@example.com', 'oncall@example.com'] },
    science: {
      ...classes.exploratory,
      workgroupName: 'data-science',
      submitterArns: ['arn:aws:iam::123456789012:role/scientists'],
      directAthenaAccess: true,
    },
    reports: {
      guaranteedSlots: 1,
      maxSlots: 2,
      dailyDataLimit: { expectedBytes: 200 * GB, bufferPercent: 50 },
    },
  },
});

beforeAll(() => {
  defaults = synthesize();
  custom = synthesize({ config: customConfig }, 'Custom');
});

const workgroups = (s: Synthesized) =>
  Object.values(resourcesOf(s.template, 'AWS::Athena::WorkGroup')).map((r) => r.Properties as Json);
const workgroup = (s: Synthesized, name: string) => workgroups(s).find((w) => w.Name === name) as Json;
const classPolicy = (s: Synthesized, name: string) =>
  Object.values(resourcesOf(s.template, 'AWS::IAM::ManagedPolicy'))
    .map((r) => r.Properties as Json & { PolicyDocument: { Statement: Json[] } })
    .find((p) => p.ManagedPolicyName === name) as Json & { PolicyDocument: { Statement: Json[] } };

describe('workgroups', () => {
  it('creates one workgroup per class, named by the config', () => {
    expect(
      workgroups(defaults)
        .map((w) => w.Name)
        .sort(),
    ).toEqual(['adhoc', 'exploratory', 'fast', 'long', 'predictable'].map((c) => `athena-wlm-${c}`).sort());
    expect(
      workgroups(custom)
        .map((w) => w.Name)
        .sort(),
    ).toEqual(['acme-etl', 'acme-reports', 'data-science']);
  });

  it('enforces the workgroup configuration, publishes metrics and uses the Athena engine chosen by AWS', () => {
    for (const wg of workgroups(defaults)) {
      expect(wg.WorkGroupConfiguration).toMatchObject({
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: 'AUTO' },
      });
      expect(wg.RecursiveDeleteOption).toBe(false);
    }
  });

  it('writes encrypted results under the class prefix of the results bucket', () => {
    const config = workgroup(defaults, 'athena-wlm-fast').WorkGroupConfiguration as Json;
    const result = config.ResultConfiguration as Json;
    expect(result.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    const bucket = defaults.stack.getLogicalId(
      defaults.stack.workloadManager.resultsBucket.node.defaultChild as never,
    );
    expect(result.OutputLocation).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/results/fast/']] });
  });

  it('sets the per-query scan cutoff only where the class has one', () => {
    const cutoff = (name: string) =>
      (workgroup(defaults, `athena-wlm-${name}`).WorkGroupConfiguration as Json).BytesScannedCutoffPerQuery;
    expect(cutoff('fast')).toBe(classes.fast.bytesScannedCutoffPerQuery);
    expect(cutoff('adhoc')).toBe(classes.adhoc.bytesScannedCutoffPerQuery);
    expect(cutoff('predictable')).toBeUndefined();
  });
});

describe('data usage alarms', () => {
  const dataAlarms = (s: Synthesized) =>
    Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Alarm'))
      .map((r) => r.Properties as Json)
      .filter((a) => a.MetricName === 'ProcessedBytes');

  it('alarms on hourly ProcessedBytes of the workgroup at expected + buffer', () => {
    const predictable = classes.predictable.hourlyDataLimit as {
      expectedBytes: number;
      bufferPercent: number;
    };
    defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Athena',
      MetricName: 'ProcessedBytes',
      Dimensions: [{ Name: 'WorkGroup', Value: 'athena-wlm-predictable' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: limitWithBuffer(predictable),
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(limitWithBuffer(predictable)).toBe(550 * GB);
  });

  it('alarms on daily ProcessedBytes with the long class buffer of +100%', () => {
    defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'WorkGroup', Value: 'athena-wlm-long' }],
      Period: 86400,
      Threshold: 10_000 * GB,
    });
  });

  it('puts the exploratory hourly limit at 70% of its expectation', () => {
    defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'WorkGroup', Value: 'athena-wlm-exploratory' }],
      Period: 3600,
      Threshold: 700 * GB,
    });
  });

  it('has one alarm per configured limit, and none for a class without limits', () => {
    expect(dataAlarms(defaults)).toHaveLength(4); // predictable, long, exploratory, adhoc
    const fast = dataAlarms(defaults).filter((a) => JSON.stringify(a.Dimensions).includes('athena-wlm-fast'));
    expect(fast).toHaveLength(0);
  });

  it("notifies the class's topic", () => {
    const alarm = dataAlarms(custom).find((a) =>
      JSON.stringify(a.Dimensions).includes('acme-reports'),
    ) as Json;
    const topic = Object.entries(resourcesOf(custom.template, 'AWS::SNS::Topic')).find(
      ([, t]) => (t.Properties as Json).TopicName === 'acme-reports-alerts',
    );
    expect(alarm.AlarmActions).toEqual([{ Ref: topic?.[0] }]);
  });
});

describe('alert topics', () => {
  it('subscribes the class and admin emails', () => {
    for (const email of ['etl-team@example.com', 'oncall@example.com', 'ops@example.com']) {
      custom.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
    custom.template.resourceCountIs('AWS::SNS::Subscription', 3);
  });

  it('encrypts every topic with a rotated customer key that CloudWatch may use', () => {
    for (const topic of Object.values(resourcesOf(custom.template, 'AWS::SNS::Topic'))) {
      expect((topic.Properties as Json).KmsMasterKeyId).toBeDefined();
    }
    custom.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms of this account publish to every topic, over TLS only', () => {
    const topics = resourcesOf(custom.template, 'AWS::SNS::Topic');
    const refs = sampleReferences(custom.template.toJSON() as Parameters<typeof sampleReferences>[0]);
    const arnOf = (id: string) => refs[id];
    const policies = Object.values(resourcesOf(custom.template, 'AWS::SNS::TopicPolicy')).map(
      (p) => p.Properties as { Topics: { Ref: string }[]; PolicyDocument: { Statement: Json[] } },
    );
    expect(Object.keys(topics)).toHaveLength(4); // admin plus three classes
    for (const id of Object.keys(topics)) {
      const policy = policies.find((p) => p.Topics.some((t) => t.Ref === id));
      const statements = resolveStatements(policy?.PolicyDocument.Statement ?? [], refs);
      const publish = (sourceAccount: string, secure = 'true') =>
        decide(statements, {
          principal: { service: 'cloudwatch.amazonaws.com' },
          action: 'sns:Publish',
          resource: arnOf(id),
          context: {
            'aws:SecureTransport': secure,
            'aws:SourceAccount': sourceAccount,
            'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${sourceAccount}:alarm:acme-etl-hourly-data`,
          },
        });
      expect({ id, decision: publish('123456789012') }).toEqual({ id, decision: 'allowed' });
      expect(publish('123456789012', 'false')).toBe('denied');
      expect(publish('999999999999')).toBe('not allowed');
    }
  });
});

describe('class policies', () => {
  const text = (value: unknown) => JSON.stringify(value);

  it('lets a class invoke only its own submission route, plus status, results, cancel and the lists', () => {
    const policy = classPolicy(defaults, 'athena-wlm-exploratory-submit');
    const invoke = policy.PolicyDocument.Statement.find((s) =>
      actionsOf(s).includes('execute-api:Invoke'),
    ) as Json;
    const resources = text(invoke.Resource);
    expect(resources).toContain('/POST/workgroups/exploratory/queries');
    expect(resources).toContain('/GET/queries/*');
    expect(resources).toContain('/GET/queries/*/results');
    expect(resources).toContain('/DELETE/queries/*');
    expect(resources).toContain('/GET/queries"');
    expect(resources).toContain('/GET/workgroups"');
    expect(resources).not.toContain('/athena/query');
    expect(resourcesOfStatement(invoke)).toHaveLength(6);
  });

  it('gives the default class the reference sample route too', () => {
    const policy = classPolicy(defaults, 'athena-wlm-adhoc-submit');
    expect(text(policy.PolicyDocument)).toContain('/POST/athena/query');
  });

  /** The decision of a class's managed policy for a request. */
  const classPolicyAllows = (s: Synthesized, policyName: string, action: string, resource: string) =>
    decide(
      resolveStatements(
        classPolicy(s, policyName).PolicyDocument.Statement,
        sampleReferences(s.template.toJSON() as Parameters<typeof sampleReferences>[0]),
      ),
      { action, resource },
    );
  const api = 'arn:aws:execute-api:eu-west-1:123456789012:api123/v1';
  const workgroupArn = (name: string) => `arn:aws:athena:eu-west-1:123456789012:workgroup/${name}`;
  /** Everything that starts or stops work in Athena, Step Functions or the queue without the API. */
  const AROUND_THE_QUEUE = [
    'athena:StartQueryExecution',
    'athena:StopQueryExecution',
    'athena:StartCalculationExecution',
    'athena:StartSession',
    'athena:BatchGetQueryExecution',
    'athena:GetQueryResults',
  ];

  it('lets a submitter use its class through the API and nothing that starts or stops queries around it', () => {
    for (const name of Object.keys(classes)) {
      const policy = `athena-wlm-${name}-submit`;
      const may = (action: string, resource: string) => classPolicyAllows(defaults, policy, action, resource);
      expect(may('execute-api:Invoke', `${api}/POST/workgroups/${name}/queries`)).toBe('allowed');
      expect(may('execute-api:Invoke', `${api}/GET/queries/q-1/results`)).toBe('allowed');
      for (const action of AROUND_THE_QUEUE) {
        for (const workgroup of [`athena-wlm-${name}`, 'primary']) {
          expect({ policy, action, workgroup, decision: may(action, workgroupArn(workgroup)) }).toEqual({
            policy,
            action,
            workgroup,
            decision: 'not allowed',
          });
        }
      }
      expect(
        may(
          'states:StartExecution',
          'arn:aws:states:eu-west-1:123456789012:stateMachine:athena-wlm-run-query',
        ),
      ).toBe('not allowed');
      expect(may('sqs:SendMessage', 'arn:aws:sqs:eu-west-1:123456789012:athena-wlm-queries')).toBe(
        'not allowed',
      );
      // Rows and the CSV link come through the API; the bucket itself stays closed.
      expect(may('s3:GetObject', `arn:aws:s3:::resultsbucket/results/${name}/q.csv`)).toBe('not allowed');
    }
  });

  it('lets a class with directAthenaAccess use its own workgroup directly, and only its own', () => {
    const may = (action: string, resource: string) =>
      classPolicyAllows(custom, 'acme-science-submit', action, resource);
    expect(may('athena:StartQueryExecution', workgroupArn('data-science'))).toBe('allowed');
    expect(may('athena:StopQueryExecution', workgroupArn('data-science'))).toBe('allowed');
    expect(may('athena:StartQueryExecution', workgroupArn('acme-etl'))).toBe('not allowed');
    expect(may('athena:StartQueryExecution', workgroupArn('primary'))).toBe('not allowed');
    expect(may('glue:GetTable', 'arn:aws:glue:eu-west-1:123456789012:table/sensors/readings')).toBe(
      'allowed',
    );
    expect(may('glue:GetTable', 'arn:aws:glue:eu-west-1:123456789012:table/default/x')).toBe('not allowed');
    expect(
      classPolicyAllows(custom, 'acme-etl-submit', 'athena:StartQueryExecution', workgroupArn('acme-etl')),
    ).toBe('not allowed');
  });

  it("never names another class's workgroup, route or results prefix", () => {
    const names = Object.keys(customConfig.classes);
    for (const name of names) {
      const document = text(classPolicy(custom, `acme-${name}-submit`).PolicyDocument);
      for (const other of names.filter((n) => n !== name)) {
        expect(document).not.toContain(`/workgroups/${other}/`);
        expect(document).not.toContain(`results/${other}/`);
      }
    }
    const science = text(classPolicy(custom, 'acme-science-submit').PolicyDocument);
    expect(science).toContain('workgroup/data-science"');
    expect(science).toContain('/results/science/*');
    for (const statement of classPolicy(custom, 'acme-science-submit').PolicyDocument.Statement) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
  });

  it('is attached to the submitter roles of its class', () => {
    expect(classPolicy(custom, 'acme-science-submit').Roles).toEqual(['scientists']);
    expect(classPolicy(custom, 'acme-etl-submit').Roles).toBeUndefined();
  });
});

describe('dashboard', () => {
  const body = () =>
    JSON.stringify(propertiesOf(defaults.template, 'AWS::CloudWatch::Dashboard', 'Dashboard').DashboardBody);

  it('shows the three seed metrics', () => {
    for (const metric of ['StartQueryCount', 'ThrottlingErrorCount', 'RestartQueryCount']) {
      expect(body()).toContain(metric);
    }
  });

  it('shows queue depths, execution outcomes, and per class slots, queue wait and scanned bytes', () => {
    for (const text of ['ApproximateNumberOfMessagesVisible', 'ExecutionsFailed', 'ExecutionsTimedOut']) {
      expect(body()).toContain(text);
    }
    for (const name of Object.keys(classes)) {
      expect(body()).toContain(`${name}: slots in use`);
      expect(body()).toContain(`${name}: queue wait`);
      expect(body()).toContain(`athena-wlm-${name}`);
    }
    expect(body()).toContain('SlotsInUse');
    expect(body()).toContain('QueueWaitTime');
    // The predictable class's hourly limit is drawn on its bytes widget.
    expect(body()).toContain(`"value\\":${550 * GB}`);
  });
});

describe('config validation', () => {
  const build = (config: WlmConfigInput) => () =>
    new AthenaWorkloadManager(new Stack(testApp(), 'S'), 'W', { config });

  it('names the bad key when a class asks for more slots than the quota allows', () => {
    const config = configWith({
      quota: { activeDmlQueries: 20, headroom: 2, alarmAtPercent: 80 },
      classes: { ...classes, fast: { ...classes.fast, maxSlots: 100 } },
    });
    expect(build(config)).toThrow(/config\.classes\.fast\.maxSlots/);
  });

  it('names the bad key when the default class does not exist', () => {
    expect(build(configWith({ defaultClass: 'nope' }))).toThrow(/config\.defaultClass/);
  });

  it('names the bad key when a submitter is not a role', () => {
    const config = configWith({
      classes: {
        ...classes,
        fast: { ...classes.fast, submitterArns: ['arn:aws:iam::123456789012:user/alice'] },
      },
    });
    expect(build(config)).toThrow(/config\.classes\.fast\.submitterArns\.0: .* is not an IAM role ARN/);
  });

  it('rejects a data bucket given as anything but a bucket ARN', () => {
    expect(
      () =>
        new AthenaWorkloadManager(new Stack(testApp(), 'S'), 'W', {
          dataBucketArns: ['arn:aws:s3:::bucket/prefix/*'],
        }),
    ).toThrow(/dataBucketArns\.0/);
  });
});
