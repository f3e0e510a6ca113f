import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import { ENV } from '../../contracts/env';
import { AthenaWlmStack } from '../../lib/athena-wlm-stack';
import { configWith, resourcesOf, testApp } from './support';

type Json = Record<string, unknown>;

/** Properties that name a resource uniquely in an account and region (a clash fails the deploy). */
const ACCOUNT_UNIQUE_NAMES: Readonly<Record<string, string>> = {
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::ApiGateway::RestApi': 'Name',
  'AWS::Athena::WorkGroup': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
};

function namesOf(template: Template): string[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Json }>;
  return Object.values(resources).flatMap((r) => {
    const key = ACCOUNT_UNIQUE_NAMES[r.Type];
    const value = key ? r.Properties?.[key] : undefined;
    return typeof value === 'string' ? [value] : [];
  });
}

const config = configWith({
  classes: {
    ...DEFAULT_CONFIG.classes,
    fast: { ...DEFAULT_CONFIG.classes.fast, workgroupName: 'team-fast' },
  },
});

let dev: AthenaWlmStack;
let stg: AthenaWlmStack;
let devTemplate: Template;
let stgTemplate: Template;
beforeAll(() => {
  // Side by side in one app, as two `cdk deploy -c stage=` runs put them in one account.
  const app = testApp();
  dev = new AthenaWlmStack(app, 'AthenaWlm-dev', { config, stage: 'dev' });
  stg = new AthenaWlmStack(app, 'AthenaWlm-stg', { config: { ...config, stage: 'stg' } });
  devTemplate = Template.fromStack(dev);
  stgTemplate = Template.fromStack(stg);
});

describe('stages', () => {
  it('suffix every account-unique name, so two stages deploy side by side without a clash', () => {
    const devNames = namesOf(devTemplate);
    const stgNames = namesOf(stgTemplate);
    expect(devNames.length).toBeGreaterThan(25);
    expect(devNames.filter((n) => stgNames.includes(n))).toEqual([]);
    for (const name of devNames) expect(name).toMatch(/-dev(-|$)/);
    for (const name of stgNames) expect(name).toMatch(/-stg(-|$)/);
    expect(devNames).toEqual(expect.arrayContaining(['team-fast-dev', 'athena-wlm-dev-predictable']));
  });

  it('give each stage its own metrics namespace: filters, alarms, functions and the output agree', () => {
    for (const filter of Object.values(resourcesOf(devTemplate, 'AWS::Logs::MetricFilter'))) {
      expect(
        (filter.Properties as { MetricTransformations: Json[] }).MetricTransformations[0].MetricNamespace,
      ).toBe('AthenaWLM/dev');
    }
    const throttling = Object.values(resourcesOf(devTemplate, 'AWS::CloudWatch::Alarm')).find(
      (a) => (a.Properties as Json).MetricName === 'ThrottlingErrorCount',
    );
    expect((throttling as Json).Properties).toMatchObject({ Namespace: 'AthenaWLM/dev' });
    const functions = Object.values(resourcesOf(stgTemplate, 'AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(5);
    for (const fn of functions) {
      const variables = ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
      expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('AthenaWLM/stg');
    }
    devTemplate.hasOutput('MetricsNamespace', { Value: 'AthenaWLM/dev' });
    expect(JSON.stringify(devTemplate.toJSON().Resources)).not.toContain('"AthenaWLM"');
  });

  it('hand the functions a config whose names carry the stage and that parses to itself', () => {
    const [fn] = Object.values(resourcesOf(devTemplate, 'AWS::Lambda::Function')).filter(
      (f) => ((f.Properties as Json).Environment as { Variables: Json }).Variables[ENV.config] !== undefined,
    );
    const json = JSON.parse(
      ((fn.Properties as Json).Environment as { Variables: Json }).Variables[ENV.config] as string,
    );
    expect(json.stage).toBeUndefined();
    expect(json.namePrefix).toBe('athena-wlm-dev');
    expect(parseConfig(json)).toEqual(dev.workloadManager.config);
  });

  it('leave names and the namespace as they were without a stage', () => {
    const plain = Template.fromStack(new AthenaWlmStack(testApp(), 'Plain'));
    expect(namesOf(plain)).toEqual(expect.arrayContaining(['athena-wlm-queries', 'athena-wlm-run-query']));
    plain.hasOutput('MetricsNamespace', { Value: 'AthenaWLM' });
  });

  it('refuse a stage that makes the name prefix too long, naming the key', () => {
    expect(
      () =>
        new AthenaWlmStack(testApp(), 'Long', {
          config: configWith({ namePrefix: 'a-very-long-prefix' }),
          stage: 'production',
        }),
    ).toThrow(/config\.stage: the name prefix with its stage, 'a-very-long-prefix-production'/);
  });
});
