import { ArnFormat, Aws, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertTopicsProps {
  readonly namePrefix: string;
  /** Who hears about account-wide trouble (config.adminEmails). */
  readonly adminEmails: readonly string[];
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The KMS key that encrypts every alert topic and the admin topic. A customer-managed key because
 * CloudWatch alarms cannot publish to topics encrypted with the AWS-managed SNS key.
 */
export class AlertTopics extends Construct {
  readonly key: kms.Key;
  readonly adminTopic: sns.Topic;
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    this.namePrefix = props.namePrefix;
    this.key = new kms.Key(this, 'Key', {
      description: 'athena-wlm alert topics',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.adminTopic = this.topic(
      this,
      'Admin',
      'admin',
      'athena-wlm: account-wide alerts',
      props.adminEmails,
    );
  }

  /** An encrypted, TLS-only topic `<prefix>-<name>-alerts` with email subscriptions, created in `scope`. */
  topic(
    scope: Construct,
    id: string,
    name: string,
    displayName: string,
    emails: readonly string[],
  ): sns.Topic {
    const topic = new sns.Topic(scope, id, {
      topicName: `${this.namePrefix}-${name}-alerts`,
      displayName,
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, which is what lets the account's principals publish;
    // CloudWatch is a service principal and is allowed only by a statement that names it (SNS developer
    // guide, access policy use cases), limited to this account's alarms against the confused deputy.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': Stack.of(scope).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
