import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { SeedMetrics } from '../contracts/metrics';
import {
  RUN_QUERY_PLACEHOLDERS,
  type RunQuerySubstitutions,
  runQueryDefinition,
  runQueryTuning,
} from '../state-machines/run-query';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import { type QueryResults, RESULTS_PREFIX } from './query-results';
import {
  metricsNamespaceOf,
  START_QUERY_COUNT_PATTERN,
  THROTTLING_ERROR_COUNT_PATTERN,
} from './seed-metrics';

/** The Glue Data Catalog queries run against (federated catalogs are not granted). */
export const DATA_CATALOG = 'AwsDataCatalog';

/** Actions the `.sync` Athena integration calls: start, poll, and stop when the execution ends early. */
export const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:StopQueryExecution',
] as const;

export const GLUE_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetDatabases',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
] as const;

/**
 * ARN of every execution of a state machine (`arn:<partition>:states:<region>:<account>:execution:<name>:*`):
 * execution names are query ids, unknown until run time, so the grant stops at the machine.
 */
export function executionsArnOf(stateMachine: sfn.StateMachine): string {
  return Stack.of(stateMachine).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachine.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export interface RunQueryStateMachineProps {
  readonly config: WlmConfig;
  /** Athena workgroup names of the classes: the only workgroups the machine may run queries in. */
  readonly workgroupNames: readonly string[];
  readonly ledger: dynamodb.ITable;
  /** The dispatcher's FIFO wake queue: executions join their line and give their slot back through it. */
  readonly wakeQueue: sqs.IQueue;
  readonly deferredQueue: sqs.IQueue;
  readonly results: QueryResults;
  /** Buckets holding the data the queries read (read-only). */
  readonly dataBuckets: readonly s3.IBucket[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The `run-query` Standard state machine, loaded from `state-machines/run-query.asl.json` (the file the
 * local runtime runs too), with the grants CDK cannot infer from a file, its CloudWatch log and the two
 * seed metrics derived from that log.
 */
export class RunQueryStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly startQueryCount: logs.MetricFilter;
  readonly throttlingErrorCount: logs.MetricFilter;

  constructor(scope: Construct, id: string, props: RunQueryStateMachineProps) {
    super(scope, id);
    const { config } = props;
    const name = `${config.namePrefix}-run-query`;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps Step Functions off the account's log resource-policy size limit.
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    const substitutions: RunQuerySubstitutions = {
      LedgerTableName: props.ledger.tableName,
      WakeQueueUrl: props.wakeQueue.queueUrl,
      DeferredQueueUrl: props.deferredQueue.queueUrl,
    };

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      // The definition carries the configured throttling retry and the execution timeout (longest class
      // limit plus a margin; the slot reconciler enforces each class's own limit first).
      definitionBody: sfn.DefinitionBody.fromString(runQueryDefinition(runQueryTuning(config))),
      definitionSubstitutions: Object.fromEntries(
        RUN_QUERY_PLACEHOLDERS.map((key) => [key, substitutions[key]]),
      ),
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        // ALL, because the seed metrics are metric filters on TaskSubmitted events, which ERROR does not
        // log. No execution data: inputs and outputs (the SQL, result locations) stay out of the log;
        // event types, resource names and error codes are all the filters need.
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });

    this.grantRunQuery(props);

    this.startQueryCount = new logs.MetricFilter(this, 'StartQueryCount', {
      logGroup: this.logGroup,
      filterName: SeedMetrics.startQueryCount,
      filterPattern: logs.FilterPattern.literal(START_QUERY_COUNT_PATTERN),
      metricNamespace: metricsNamespaceOf(this),
      metricName: SeedMetrics.startQueryCount,
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    });
    this.throttlingErrorCount = new logs.MetricFilter(this, 'ThrottlingErrorCount', {
      logGroup: this.logGroup,
      filterName: SeedMetrics.throttlingErrorCount,
      filterPattern: logs.FilterPattern.literal(THROTTLING_ERROR_COUNT_PATTERN),
      metricNamespace: metricsNamespaceOf(this),
      metricName: SeedMetrics.throttlingErrorCount,
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    });
  }

  /**
   * Exactly what the ASL file's tasks need. Mirrors the policy Step Functions documents for
   * `athena:startQueryExecution.sync` (start, get, stop, getDataCatalog; S3; Glue; Lake Formation data
   * access), narrowed: Athena on the class workgroups only, Glue read-only on the configured databases,
   * S3 on the results prefix and the declared data buckets only. No EventBridge permissions: Athena's .sync
   * integration polls GetQueryExecution rather than using a managed rule.
   */
  private grantRunQuery(props: RunQueryStateMachineProps): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const add = (statement: iam.PolicyStatement) => this.stateMachine.addToRolePolicy(statement);

    const workgroupArns = props.workgroupNames.map((wg) =>
      stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: wg }),
    );
    add(new iam.PolicyStatement({ actions: [...ATHENA_QUERY_ACTIONS], resources: workgroupArns }));
    add(
      new iam.PolicyStatement({
        actions: ['athena:GetDataCatalog'],
        resources: [
          stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: DATA_CATALOG }),
        ],
      }),
    );

    const glueTables = props.config.glueDatabases.map((db) =>
      stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${db}/*` }),
    );
    add(
      new iam.PolicyStatement({
        actions: [...GLUE_READ_ACTIONS],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          ...props.config.glueDatabases.map((db) =>
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: db }),
          ),
          ...glueTables,
        ],
      }),
    );

    // Athena writes results with the caller's credentials, under the class prefix the workgroup enforces.
    const bucket = props.results.bucket;
    const resultObjects = bucket.arnForObjects(`${RESULTS_PREFIX}/*`);
    add(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucket.bucketArn],
      }),
    );
    add(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [resultObjects],
      }),
    );

    // Athena reads table data with the caller's credentials, this role's: listing the table's location
    // and reading its objects (Athena user guide, access to Amazon S3).
    const dataObjects = props.dataBuckets.map((b) => b.arnForObjects('*'));
    if (props.dataBuckets.length > 0) {
      add(
        new iam.PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: props.dataBuckets.map((b) => b.bucketArn),
        }),
      );
      add(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: dataObjects }));
    }
    for (const bucket of props.dataBuckets) bucket.encryptionKey?.grantDecrypt(role);

    // Tables registered with Lake Formation hand out data access through this call; it has no resource type.
    add(new iam.PolicyStatement({ actions: ['lakeformation:GetDataAccess'], resources: ['*'] }));

    add(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [props.deferredQueue.queueArn, props.wakeQueue.queueArn],
      }),
    );
    add(new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [props.ledger.tableArn] }));

    acknowledgeWildcardResources(
      role,
      ['*'],
      'Resource "*" is required by the actions that have no resource type: X-Ray trace segments, CloudWatch Logs log delivery (both added by CDK for tracing and logging) and lakeformation:GetDataAccess.',
    );
    acknowledgeWildcardResources(
      role,
      [resultObjects],
      'Athena writes result objects with generated keys under results/<class>/; the grant stops at the results prefix.',
    );
    acknowledgeWildcardResources(
      role,
      glueTables,
      'Queries may read any table of the configured Glue databases (config.glueDatabases), and only those.',
    );
    acknowledgeWildcardResources(
      role,
      dataObjects,
      'Read-only access to the objects of the data buckets the deployer declared (config.dataBuckets, dataBuckets, dataBucketArns).',
    );
  }
}
