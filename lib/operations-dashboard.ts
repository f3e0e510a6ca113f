import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { limitWithBuffer, type WlmConfig } from '../contracts/config';
import {
  CLASS_DIMENSION,
  GaugeMetrics,
  METRICS_SERVICE,
  QUEUE_WAIT_TIME,
  SeedMetrics,
} from '../contracts/metrics';
import { metricsNamespaceOf } from './seed-metrics';
import { processedBytes, type WorkloadClass } from './workload-classes';

export interface OperationsDashboardProps {
  readonly config: WlmConfig;
  readonly classes: Readonly<Record<string, WorkloadClass>>;
  readonly queues: {
    readonly queries: sqs.IQueue;
    readonly deferred: sqs.IQueue;
    readonly failed: sqs.IQueue;
  };
  readonly stateMachine: sfn.IStateMachine;
}

const ONE_MINUTE = Duration.minutes(1);

function wlmMetric(
  namespace: string,
  metricName: string,
  statistic: string,
  dimensionsMap?: Record<string, string>,
  period: Duration = ONE_MINUTE,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    statistic,
    period,
    dimensionsMap,
  });
}

/** Dimensions of a per-class metric emitted by a handler (Powertools adds the service dimension). */
function classDimensions(className: string): Record<string, string> {
  return { service: METRICS_SERVICE, [CLASS_DIMENSION]: className };
}

/**
 * One dashboard for operators: the reference's three metrics, the queues, execution outcomes, and per class
 * its slots against its guarantee and cap, its queue wait, and its scanned bytes against its limits.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const namespace = metricsNamespaceOf(this);
    const { config } = props;
    const classNames = Object.keys(props.classes);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${config.namePrefix}-operations`,
      defaultInterval: Duration.hours(3),
    });

    // Metric filters give the first two (no dimensions); redrives are counted per class and summed here.
    const restarts = Object.fromEntries(
      classNames.map((name, i) => [
        `r${i}`,
        wlmMetric(namespace, SeedMetrics.restartQueryCount, cloudwatch.Stats.SUM, classDimensions(name)),
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# athena-wlm (${config.namePrefix})\nClasses: ${classNames.join(', ')}. Default class of POST /athena/query: ${config.defaultClass}.`,
        width: 24,
        height: 2,
      }),
      new cloudwatch.GraphWidget({
        title: 'Athena starts, throttling, redrives',
        width: 12,
        left: [
          wlmMetric(namespace, SeedMetrics.startQueryCount, cloudwatch.Stats.SUM),
          wlmMetric(namespace, SeedMetrics.throttlingErrorCount, cloudwatch.Stats.SUM),
          new cloudwatch.MathExpression({
            label: SeedMetrics.restartQueryCount,
            expression: `SUM([${Object.keys(restarts).join(',')}])`,
            usingMetrics: restarts,
            period: ONE_MINUTE,
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Queue depths',
        width: 12,
        left: [
          props.queues.queries.metricApproximateNumberOfMessagesVisible({
            label: 'queries (visible)',
            period: ONE_MINUTE,
          }),
          props.queues.queries.metricApproximateNumberOfMessagesNotVisible({
            label: 'queries (in flight or waiting for a slot)',
            period: ONE_MINUTE,
          }),
          props.queues.deferred.metricApproximateNumberOfMessagesVisible({
            label: 'deferred',
            period: ONE_MINUTE,
          }),
          props.queues.failed.metricApproximateNumberOfMessagesVisible({
            label: 'failed',
            period: ONE_MINUTE,
          }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Execution outcomes',
        width: 24,
        left: [
          props.stateMachine.metricSucceeded({ period: ONE_MINUTE }),
          props.stateMachine.metricFailed({ period: ONE_MINUTE }),
          props.stateMachine.metricAborted({ period: ONE_MINUTE }),
          props.stateMachine.metricTimedOut({ period: ONE_MINUTE }),
          props.stateMachine.metricThrottled({ period: ONE_MINUTE }),
        ],
      }),
    );

    for (const [name, cls] of Object.entries(props.classes)) {
      const dims = classDimensions(name);
      const dataWidgets: cloudwatch.IWidget[] = [];
      const limits = [
        { label: 'hourly', limit: cls.config.hourlyDataLimit, period: Duration.hours(1) },
        { label: 'daily', limit: cls.config.dailyDataLimit, period: Duration.days(1) },
      ];
      for (const { label, limit, period } of limits) {
        if (!limit) continue;
        dataWidgets.push(
          new cloudwatch.GraphWidget({
            title: `${name}: bytes scanned per ${label === 'hourly' ? 'hour' : 'day'}`,
            width: 8,
            left: [processedBytes(cls.workgroupName, period)],
            leftAnnotations: [{ value: limitWithBuffer(limit), label: `${label} limit`, color: '#d13212' }],
          }),
        );
      }
      if (dataWidgets.length === 0) {
        dataWidgets.push(
          new cloudwatch.GraphWidget({
            title: `${name}: bytes scanned per hour (no limit set)`,
            width: 8,
            left: [processedBytes(cls.workgroupName, Duration.hours(1))],
          }),
        );
      }
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${name}: slots in use`,
          width: 8,
          // The quota monitor reports slots in use every 5 minutes.
          left: [
            wlmMetric(
              namespace,
              GaugeMetrics.slotsInUse,
              cloudwatch.Stats.MAXIMUM,
              dims,
              Duration.minutes(5),
            ),
          ],
          leftYAxis: { min: 0 },
          // Shares of capacity follow the live quota, so only fixed slot counts can be drawn.
          leftAnnotations: [
            ...(typeof cls.config.maxSlots === 'number'
              ? [{ value: cls.config.maxSlots, label: 'max slots', color: '#d13212' }]
              : []),
            ...(typeof cls.config.guaranteedSlots === 'number'
              ? [{ value: cls.config.guaranteedSlots, label: 'guaranteed', color: '#2ca02c' }]
              : []),
          ],
        }),
        new cloudwatch.GraphWidget({
          title: `${name}: queue wait (ms)`,
          width: 8,
          left: [
            wlmMetric(namespace, QUEUE_WAIT_TIME, cloudwatch.Stats.p(50), dims),
            wlmMetric(namespace, QUEUE_WAIT_TIME, cloudwatch.Stats.p(95), dims),
          ],
        }),
        ...dataWidgets,
      );
    }
  }
}
