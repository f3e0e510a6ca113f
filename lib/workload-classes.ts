import { Duration, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  limitWithBuffer,
  type WlmConfig,
  type WorkloadClassConfig,
  workgroupNameOf,
} from '../contracts/config';
import type { AlertTopics } from './alert-topics';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import { classRoutes, type QueryApi } from './query-api';
import { QueryResults } from './query-results';
import { GLUE_READ_ACTIONS } from './run-query-state-machine';

/**
 * What a class's submitters may do in its workgroup when the class allows direct use
 * (`directAthenaAccess`); without it they reach Athena only through athena-wlm's API.
 */
export const DIRECT_ATHENA_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
  'athena:BatchGetQueryExecution',
  'athena:ListQueryExecutions',
] as const;

/** One workload class as deployed. */
export interface WorkloadClass {
  readonly name: string;
  readonly config: WorkloadClassConfig;
  readonly workgroup: athena.CfnWorkGroup;
  readonly workgroupName: string;
  readonly topic: sns.Topic;
  readonly hourlyDataAlarm?: cloudwatch.Alarm;
  readonly dailyDataAlarm?: cloudwatch.Alarm;
  /**
   * `<prefix>-<class>-submit`: its submission route and the read/cancel routes; with `directAthenaAccess`,
   * also its workgroup, its results prefix and Glue read.
   */
  readonly policy: iam.ManagedPolicy;
}

export interface WorkloadClassesProps {
  readonly config: WlmConfig;
  readonly results: QueryResults;
  readonly api: QueryApi;
  readonly alerts: AlertTopics;
}

/** The `AWS/Athena ProcessedBytes` of one workgroup, summed over a period. */
export function processedBytes(workgroupName: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Athena',
    metricName: 'ProcessedBytes',
    dimensionsMap: { WorkGroup: workgroupName },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/** Per class: an Athena workgroup, data-usage alarms, an alert topic and a submitter policy. */
export class WorkloadClasses extends Construct {
  readonly classes: Readonly<Record<string, WorkloadClass>>;

  constructor(scope: Construct, id: string, props: WorkloadClassesProps) {
    super(scope, id);
    const classes: Record<string, WorkloadClass> = {};
    for (const [name, classConfig] of Object.entries(props.config.classes)) {
      classes[name] = this.addClass(name, classConfig, props);
    }
    this.classes = classes;
  }

  private addClass(
    name: string,
    classConfig: WorkloadClassConfig,
    props: WorkloadClassesProps,
  ): WorkloadClass {
    const { config, results } = props;
    const scope = new Construct(this, name);
    const workgroupName = workgroupNameOf(config, name);

    const workgroup = new athena.CfnWorkGroup(scope, 'WorkGroup', {
      name: workgroupName,
      description: classConfig.description || `athena-wlm workload class ${name}`,
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: classConfig.bytesScannedCutoffPerQuery,
        requesterPaysEnabled: false,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: results.classLocation(name),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const topic = props.alerts.topic(
      scope,
      'Alerts',
      name,
      `athena-wlm: class ${name}`,
      classConfig.alertEmails,
    );
    const alarm = (
      id: string,
      limit: { expectedBytes: number; bufferPercent: number },
      period: Duration,
      label: string,
    ) => {
      const created = new cloudwatch.Alarm(scope, id, {
        alarmName: `${config.namePrefix}-${name}-${label}-data`,
        alarmDescription: `Class ${name} (workgroup ${workgroupName}) scanned more than its ${label} data limit: ${limit.expectedBytes} bytes expected ${limit.bufferPercent >= 0 ? '+' : ''}${limit.bufferPercent}%. Alarms never stop queries; look at who is scanning.`,
        metric: processedBytes(workgroupName, period),
        threshold: limitWithBuffer(limit),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new cloudwatchActions.SnsAction(topic));
      return created;
    };
    const hourlyDataAlarm = classConfig.hourlyDataLimit
      ? alarm('HourlyDataAlarm', classConfig.hourlyDataLimit, Duration.hours(1), 'hourly')
      : undefined;
    const dailyDataAlarm = classConfig.dailyDataLimit
      ? alarm('DailyDataAlarm', classConfig.dailyDataLimit, Duration.days(1), 'daily')
      : undefined;

    const policy = this.submitterPolicy(scope, name, classConfig, workgroupName, props);
    classConfig.submitterArns.forEach((arn, index) => {
      if (!/^arn:[^:]+:iam::\d{12}:role\/.+/.test(arn)) {
        throw new Error(
          `config.classes.${name}.submitterArns.${index}: '${arn}' is not an IAM role ARN. Only roles can be given here; attach the managed policy ${config.namePrefix}-${name}-submit to users or groups yourself.`,
        );
      }
      policy.attachToRole(iam.Role.fromRoleArn(scope, `Submitter${index}`, arn, { mutable: false }));
    });

    return {
      name,
      config: classConfig,
      workgroup,
      workgroupName,
      topic,
      hourlyDataAlarm,
      dailyDataAlarm,
      policy,
    };
  }

  private submitterPolicy(
    scope: Construct,
    name: string,
    classConfig: WorkloadClassConfig,
    workgroupName: string,
    props: WorkloadClassesProps,
  ) {
    const { config, api } = props;
    const routes = classRoutes(config, name);
    const invokeArns = routes.map((route) => api.invokeArn(route));
    // Results come through the API (its rows, and a presigned link signed by athena-wlm), so a submitter
    // needs no S3 or Athena access: anything that starts or stops a query goes around the line.
    const invoke = new iam.PolicyStatement({
      sid: 'InvokeClassRoutes',
      actions: ['execute-api:Invoke'],
      resources: invokeArns,
    });
    const policy = new iam.ManagedPolicy(scope, 'SubmitPolicy', {
      managedPolicyName: `${config.namePrefix}-${name}-submit`,
      description: `athena-wlm: submit to and read class ${name} through the athena-wlm API`,
      statements: [invoke],
    });
    api.acknowledgeInvokeWildcards(policy, routes);
    if (classConfig.directAthenaAccess) this.allowDirectUse(policy, name, workgroupName, props);
    return policy;
  }

  /**
   * `directAthenaAccess`: the workgroup's query actions, its results prefix and Glue read, so that the
   * class's submitters can also use Athena directly (and go around the line, by the config's choice).
   */
  private allowDirectUse(
    policy: iam.ManagedPolicy,
    name: string,
    workgroupName: string,
    props: WorkloadClassesProps,
  ): void {
    const { config, results } = props;
    const stack = Stack.of(this);
    const resultObjects = results.bucket.arnForObjects(`${QueryResults.classPrefix(name)}*`);
    const glueTables = config.glueDatabases.map((db) =>
      stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${db}/*` }),
    );
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'DirectWorkgroupUse',
        actions: [...DIRECT_ATHENA_ACTIONS],
        resources: [
          stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workgroupName }),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'ReadClassResults',
        actions: ['s3:GetObject'],
        resources: [resultObjects],
      }),
      new iam.PolicyStatement({
        sid: 'ListClassResults',
        actions: ['s3:ListBucket'],
        resources: [results.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${QueryResults.classPrefix(name)}*`] } },
      }),
      new iam.PolicyStatement({
        sid: 'LocateResultsBucket',
        actions: ['s3:GetBucketLocation'],
        resources: [results.bucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadGlueCatalog',
        actions: [...GLUE_READ_ACTIONS],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          ...config.glueDatabases.map((db) =>
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: db }),
          ),
          ...glueTables,
        ],
      }),
    );
    acknowledgeWildcardResources(
      policy,
      [resultObjects],
      "Result object keys are generated by Athena; the grant stops at this class's results prefix.",
    );
    acknowledgeWildcardResources(
      policy,
      glueTables,
      'Any table of the configured Glue databases (config.glueDatabases), and only those.',
    );
  }
}
