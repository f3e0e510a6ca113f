import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import { SeedMetrics } from '../contracts/metrics';
import { LambdaSchedule } from './lambda-schedule';
import { grantQuotaRead } from './query-starter';
import type { QueryTables } from './query-tables';
import { queueNotEmptyAlarm } from './queue-alarm';
import { metricsNamespaceOf } from './seed-metrics';
import { WlmFunction } from './wlm-function';

/** How often the quota monitor runs. */
export const QUOTA_MONITOR_EVERY_MINUTES = 5;

/** The account's active DML queries (all workgroups, in and outside athena-wlm), per minute. */
export function activeDmlQueries(): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Usage',
    metricName: 'ResourceCount',
    dimensionsMap: { Service: 'Athena', Resource: 'ActiveQueryCount', Type: 'Resource', Class: 'DML' },
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(1),
  });
}

export interface QuotaMonitorProps {
  readonly config: WlmConfig;
  readonly tables: QueryTables;
  readonly adminTopic: sns.ITopic;
  /** Key that encrypts the admin topic. */
  readonly alertKey: kms.IKey;
  readonly failedQueue: sqs.IQueue;
  /** The dispatcher's set-aside wake events (each sweep retries them). */
  readonly wakeFailedQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Watches the account's Athena quota and the pipeline's health: a scheduled function compares active DML
 * queries with the live quota and class data usage with the limits, and alarms tell admins when the
 * account nears its quota (when the quota is a number), when anything is parked in `queries-failed`, and
 * when Athena keeps answering TooManyRequests.
 */
export class QuotaMonitor extends Construct {
  readonly handler: WlmFunction;
  readonly schedule: LambdaSchedule;
  /** Absent when the quota is read from Service Quotas at run time (the function alerts instead). */
  readonly quotaAlarm?: cloudwatch.Alarm;
  readonly failedQueueAlarm: cloudwatch.Alarm;
  readonly wakeFailedAlarm: cloudwatch.Alarm;
  readonly throttlingAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: QuotaMonitorProps) {
    super(scope, id);
    const { config } = props;
    this.handler = new WlmFunction(this, 'Monitor', {
      handler: 'quotaMonitor',
      description:
        'athena-wlm: compares Athena usage with the quota and the class data limits, alerts admins',
      timeout: Duration.seconds(60),
      environment: {
        [ENV.config]: JSON.stringify(config),
        [ENV.alertTopicArn]: props.adminTopic.topicArn,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.handler.role;
    // GetMetricData has no resource-level permissions: "*" is the only resource it accepts.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    grantQuotaRead(role, this);
    // Publishing to an encrypted topic needs the topic's key; named actions rather than GenerateDataKey*.
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.adminTopic.topicArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.alertKey.keyArn],
      }),
    );
    props.tables.bindLedger(this.handler.function, 'read');
    props.tables.bindDispatch(this.handler.function, 'read');

    this.schedule = new LambdaSchedule(this, 'Every', {
      function: this.handler.function,
      everyMinutes: QUOTA_MONITOR_EVERY_MINUTES,
      description: 'athena-wlm quota monitor',
    });

    const notifyAdmins = new cloudwatchActions.SnsAction(props.adminTopic);
    const quota = config.quota.activeDmlQueries;
    if (typeof quota === 'number') {
      this.quotaAlarm = new cloudwatch.Alarm(this, 'QuotaAlarm', {
        alarmName: `${config.namePrefix}-active-dml-queries`,
        alarmDescription: `The account's active Athena DML queries reached ${config.quota.alarmAtPercent}% of the quota (${quota}). Queries beyond the quota fail with TooManyRequestsException, in every workgroup.`,
        metric: activeDmlQueries(),
        threshold: Math.ceil((quota * config.quota.alarmAtPercent) / 100),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // The usage metric is only emitted while queries run.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.quotaAlarm.addAlarmAction(notifyAdmins);
    }

    this.failedQueueAlarm = queueNotEmptyAlarm(this, 'FailedQueueAlarm', {
      queue: props.failedQueue,
      alarmName: `${config.namePrefix}-queries-failed`,
      alarmDescription:
        'Queries were parked in the queries-failed queue: they will not run. Each message says why (attribute "reason").',
    });
    this.failedQueueAlarm.addAlarmAction(notifyAdmins);

    // Each sweep (every minute) retries set-aside events and deletes those that now apply, so any still
    // there after 6 minutes keep failing. Counted as visible plus in flight: the sweep's own receives keep
    // a failing event in flight most of the time, and ApproximateAgeOfOldestMessage leaves out messages
    // received three or more times (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
    const setAside = (metric: cloudwatch.Metric) => metric.with({ statistic: cloudwatch.Stats.MINIMUM });
    this.wakeFailedAlarm = new cloudwatch.Alarm(this, 'WakeFailedAlarm', {
      alarmName: `${config.namePrefix}-dispatch-wake-failed`,
      alarmDescription:
        'A dispatcher event (a query entering its line, a slot given back, a cancel) keeps failing, even when retried by the sweep: queries may wait longer than they should. The dispatcher function\'s log says why ("a set-aside wake event failed again").',
      metric: new cloudwatch.MathExpression({
        expression: 'visible + inFlight',
        label: 'Set-aside wake events',
        usingMetrics: {
          visible: setAside(props.wakeFailedQueue.metricApproximateNumberOfMessagesVisible()),
          inFlight: setAside(props.wakeFailedQueue.metricApproximateNumberOfMessagesNotVisible()),
        },
        period: Duration.minutes(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 6,
      datapointsToAlarm: 6,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.wakeFailedAlarm.addAlarmAction(notifyAdmins);

    this.throttlingAlarm = new cloudwatch.Alarm(this, 'ThrottlingAlarm', {
      alarmName: `${config.namePrefix}-throttling`,
      alarmDescription:
        'Athena kept answering TooManyRequestsException for 15 minutes: traffic outside athena-wlm is using more of the quota than quota.headroom allows, or the configured quota is higher than the real one.',
      metric: new cloudwatch.Metric({
        namespace: metricsNamespaceOf(this),
        metricName: SeedMetrics.throttlingErrorCount,
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.throttlingAlarm.addAlarmAction(notifyAdmins);
  }
}
