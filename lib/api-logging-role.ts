import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag, acknowledgeWildcardResources } from './nag-acknowledgements';
import { WlmFunction } from './wlm-function';

export interface ApiLoggingRoleProps {
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Makes sure API Gateway may write logs in this account and region (its account setting
 * `cloudwatchRoleArn`, which a stage with access logging needs): a custom resource sets this
 * construct's role there when none is set, or the one set no longer exists, and leaves a working
 * setting alone. AWS::ApiGateway::Account (CDK's `cloudWatchRole`) is not used: it overwrites the
 * account's role every deploy and, once its stack is gone, can leave every API of the account logging
 * through a deleted role. The role is retained when the stack is deleted, because the account keeps
 * pointing at it.
 */
export class ApiLoggingRole extends Construct {
  /** The role API Gateway assumes to write logs (AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs). */
  readonly role: iam.Role;
  /** Depend on it before creating a stage with logging. */
  readonly setting: CustomResource;

  constructor(scope: Construct, id: string, props: ApiLoggingRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description:
        "API Gateway's CloudWatch Logs role for this account and region (set by athena-wlm when none was set)",
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "The API Gateway developer guide names this AWS managed policy for API Gateway's account-level logging role.",
    );

    const fn = new WlmFunction(this, 'SetAccountRole', {
      handler: 'apiGatewayAccountRole',
      description: "athena-wlm: sets API Gateway's account CloudWatch role when none is set",
      environment: {},
      // A new role can take a few minutes before API Gateway may assume it.
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const account = stack.formatArn({
      service: 'apigateway',
      account: '',
      resource: '/account',
      arnFormat: ArnFormat.NO_RESOURCE_NAME,
    });
    fn.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:GET', 'apigateway:PATCH'], resources: [account] }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'apigateway.amazonaws.com' } },
      }),
    );
    // Whether the role the account names still exists: any role of the account may be the one set.
    const anyRole = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:GetRole'], resources: [anyRole] }));
    acknowledgeWildcardResources(
      fn.role,
      [anyRole],
      'GetRole only, to tell whether the role the account setting already names still exists; it could be any role of the account.',
    );

    this.setting = new CustomResource(this, 'Setting', {
      serviceToken: fn.function.functionArn,
      resourceType: 'Custom::ApiGatewayAccountLoggingRole',
      properties: { RoleArn: this.role.roleArn },
    });
  }
}
