import { type PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AthenaWlmStack } from '../../lib/athena-wlm-stack';
import { configWith, testApp } from './support';

const describeViolations = (report: PolicyValidationPluginReport) =>
  report.violations.map(
    (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );

let withOptions: AthenaWlmStack;
beforeAll(() => {
  withOptions = new AthenaWlmStack(testApp(), 'NagOptions', {
    config: configWith({
      quota: { activeDmlQueries: 'service-quotas', headroom: 2, alarmAtPercent: 80 },
      adminEmails: ['ops@example.com'],
      glueDatabases: ['default', 'sensors'],
    }),
    dataBucketArns: ['arn:aws:s3:::my-data-lake', 'arn:aws:s3:::my-other-lake'],
    webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/api/abc',
    apiCloudWatchRole: true,
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack, and synthesis with the plugin succeeds', () => {
    const app = testApp();
    const stack = new AthenaWlmStack(app, 'Nag');
    // As bin/athena-wlm.ts wires it: a finding would make synth throw.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(describeViolations(new AwsSolutionsChecks().validateScope(stack))).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged with every option on', () => {
    expect(describeViolations(new AwsSolutionsChecks().validateScope(withOptions))).toEqual([]);
  });

  it('reports findings (the check is live)', () => {
    // A table without point-in-time recovery, as the ledger would be without its safeguard.
    const stack = new Stack(testApp(), 'NagLive');
    new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    const violations = describeViolations(new AwsSolutionsChecks().validateScope(stack));
    expect(violations.some((v) => v.includes('AwsSolutions-DDB3'))).toBe(true);
  });
});

describe('quota read from Service Quotas', () => {
  it('skips the fixed-number quota alarm and lets the dispatcher read the quota', () => {
    const template = Template.fromStack(withOptions);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.some((a) => a.Properties.Namespace === 'AWS/Usage')).toBe(false);
    const policyOf = (role: { node: { defaultChild?: unknown } }) => {
      const roleId = withOptions.getLogicalId(role.node.defaultChild as never);
      return JSON.stringify(
        Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
          JSON.stringify(p.Properties.Roles).includes(roleId),
        ),
      );
    };
    const parts = withOptions.workloadManager.parts;
    expect(policyOf(parts.dispatcher.handler.role)).toContain('servicequotas:GetServiceQuota');
    expect(policyOf(parts.dispatcher.handler.role)).toContain(':athena/L-FC5F6546');
    // Admission left the starter: it no longer reads the quota.
    expect(policyOf(parts.starter.handler.role)).not.toContain('servicequotas:');
  });
});
