import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { ENV } from '../../contracts/env';
import { AthenaWorkloadManager, type AthenaWorkloadManagerProps } from '../../lib/athena-workload-manager';
import { grantQuotaRead } from '../../lib/query-starter';
import { QueryTables } from '../../lib/query-tables';
import { actionsOf, resourcesOf, testApp } from './support';

type Json = Record<string, unknown>;

/** A stack holding what a user brings, and a workload manager built from it. */
function manager(props: (stack: Stack) => AthenaWorkloadManagerProps = () => ({})) {
  const stack = new Stack(testApp(), 'User');
  const wlm = new AthenaWorkloadManager(stack, 'Wlm', props(stack));
  return { stack, wlm, template: () => Template.fromStack(stack) };
}

function webAcl(stack: Stack): wafv2.CfnWebACL {
  return new wafv2.CfnWebACL(stack, 'Acl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: false, metricName: 'acl', sampledRequestsEnabled: false },
  });
}

function testFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
}

/** Statements of every IAM policy in the template. */
function statements(template: Template): Json[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
    (p) => ((p.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement,
  );
}

describe('web ACL', () => {
  it('is associated with the API stage when given as a construct', () => {
    const { template } = manager((stack) => ({ webAcl: webAcl(stack) }));

    template().hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Acl'), 'Arn'] },
      ResourceArn: Match.anyValue(),
    });
  });

  it('takes an ARN that is a token (known at deploy time only) without checking its form', () => {
    const { template } = manager((stack) => ({ webAclArn: webAcl(stack).attrArn }));

    template().resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  it('refuses an ARN that is not a regional web ACL, and both forms at once', () => {
    expect(() =>
      manager(() => ({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/api/abc' })),
    ).toThrow(/webAclArn: .* is not the ARN of a regional WAFv2 web ACL/);
    expect(() =>
      manager((stack) => ({
        webAcl: webAcl(stack),
        webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/api/abc',
      })),
    ).toThrow(/webAcl and webAclArn both name a web ACL/);
  });
});

describe('existing results bucket', () => {
  it('is written to under results/<class>/ and no results or access-log bucket is created', () => {
    const { template } = manager((stack) => ({
      resultsBucket: s3.Bucket.fromBucketName(stack, 'Results', 'team-athena-results'),
    }));
    const t = template();

    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        ResultConfiguration: Match.objectLike({ OutputLocation: 's3://team-athena-results/results/fast/' }),
      }),
    });
    const puts = statements(t).filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(JSON.stringify(puts)).toContain(':s3:::team-athena-results/results/*');
  });

  it('refuses a bucket encrypted with a KMS key (results are written with SSE_S3)', () => {
    expect(() =>
      manager((stack) => ({
        resultsBucket: s3.Bucket.fromBucketAttributes(stack, 'Results', {
          bucketName: 'team-athena-results',
          encryptionKey: kms.Key.fromKeyArn(
            stack,
            'Key',
            'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
          ),
        }),
      })),
    ).toThrow(/resultsBucket: a bucket encrypted with a KMS key is not supported/);
  });
});

describe('grants', () => {
  it('grantSubmit returns the grant: execute-api:Invoke on the class routes, for that class only', () => {
    const { stack, wlm, template } = manager();
    const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });

    const grant = wlm.grantSubmit(role, 'fast');

    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.success).toBe(true);
    const invoke = statements(template()).filter((s) => actionsOf(s).includes('execute-api:Invoke'));
    const text = JSON.stringify(invoke);
    expect(text).toContain('/POST/workgroups/fast/queries');
    expect(text).not.toContain('/POST/workgroups/adhoc/queries');
    expect(() => wlm.grantSubmit(role, 'nope')).toThrow(/'nope' is not a workload class/);
  });

  it('grantQuotaRead returns the grant of both Service Quotas reads', () => {
    const stack = new Stack(testApp(), 'Quota');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });

    const grant = grantQuotaRead(role, stack);

    expect(grant.success).toBe(true);
    expect(grant.principalStatements.flatMap((s) => s.actions).sort()).toEqual([
      'servicequotas:GetAWSDefaultServiceQuota',
      'servicequotas:GetServiceQuota',
    ]);
  });
});

describe('binding a table to a function', () => {
  it('sets the table name and grants exactly the access asked for, returning the grant', () => {
    const stack = new Stack(testApp(), 'Bind');
    const ledger = new QueryTables(stack, 'Ledger', { removalPolicy: RemovalPolicy.DESTROY });
    const fn = testFunction(stack);

    const grant = ledger.bindLedger(fn, 'queryByClass', 'dynamodb:GetItem');
    ledger.bindDispatch(fn, 'read');

    expect(grant.success).toBe(true);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.ledgerTable]: stack.resolve(ledger.ledger.tableName),
          [ENV.dispatchTable]: stack.resolve(ledger.dispatch.tableName),
        },
      },
    });
    // Each (action, resource) pair granted; CDK merges statements that share actions.
    const granted = statements(t).flatMap((statement) =>
      actionsOf(statement).flatMap((action) =>
        [statement.Resource].flat().map((resource) => `${action} ${JSON.stringify(resource)}`),
      ),
    );
    const arn = (token: string) => JSON.stringify(stack.resolve(token));
    expect(granted.sort()).toEqual(
      [
        `dynamodb:GetItem ${arn(ledger.ledger.tableArn)}`,
        `dynamodb:Query ${arn(ledger.byWorkgroupIndexArn)}`,
        `dynamodb:Query ${arn(ledger.dispatch.tableArn)}`,
      ].sort(),
    );
  });
});
