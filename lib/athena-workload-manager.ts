import { RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as athena from 'aws-cdk-lib/aws-athena';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { aws_wafv2 as wafv2 } from 'aws-cdk-lib/interfaces';
import { Construct } from 'constructs';
import {
  DEFAULT_CONFIG,
  parseConfig,
  type WlmConfig,
  type WlmConfigInput,
  withStage,
} from '../contracts/config';
import { metricsNamespaceFor } from '../contracts/metrics';
import { AlertTopics } from './alert-topics';
import { OperationsDashboard } from './operations-dashboard';
import { classRoutes, QueryApi } from './query-api';
import { DISPATCHER_TIMEOUT, QueryDispatcher } from './query-dispatcher';
import { QueryIntakePipe } from './query-intake-pipe';
import { QueryLifecycle } from './query-lifecycle';
import { QueryQueues } from './query-queues';
import { QueryResults } from './query-results';
import { QueryStarter, STARTER_TIMEOUT } from './query-starter';
import { QueryTables } from './query-tables';
import { QuotaMonitor } from './quota-monitor';
import { REDRIVE_TIMEOUT, RedriveSchedule } from './redrive-schedule';
import { RunQueryStateMachine } from './run-query-state-machine';
import { setMetricsNamespace } from './seed-metrics';
import { SlotReconciler } from './slot-reconciler';
import { type WorkloadClass, WorkloadClasses } from './workload-classes';

/** A regional WAFv2 web ACL's ARN (API Gateway stages take only REGIONAL web ACLs). */
const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[^/]+\/[^/]+$/;

/** Lambda's limit on a function's environment variables, in bytes (names and values). */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** Properties of {@link AthenaWorkloadManager}. */
export interface AthenaWorkloadManagerProps {
  /**
   * Workload classes, quota, retry, redrive and admission settings. Validated when the construct is
   * created; an invalid config throws an error that names each bad key (`config.classes.fast.maxSlots`).
   *
   * @default DEFAULT_CONFIG - the case study's five classes: predictable, fast, long, exploratory, adhoc
   */
  readonly config?: WlmConfigInput;

  /**
   * A stage (`dev`, `stg`): every name gets `-<stage>` and the stage's metrics go to `AthenaWLM/<stage>`,
   * so that several stages share one account and region.
   *
   * @default config.stage, or none
   */
  readonly stage?: string;

  /**
   * Name of the REST API.
   *
   * @default `${config.namePrefix}-api`
   */
  readonly apiName?: string;

  /**
   * Stage of the REST API; it is the first path segment of every route.
   *
   * @default 'v1'
   */
  readonly stageName?: string;

  /**
   * Stage-wide request throttling (requests per second, and burst). SigV4-signed callers only, so this
   * protects the queue and Athena's quota from a runaway client rather than from strangers.
   *
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly apiThrottling?: { readonly rateLimit: number; readonly burstLimit: number };

  /**
   * What happens to stateful resources (ledger and slot tables, results and access-log buckets, log groups,
   * the alert key) when the construct is removed from the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long the functions', the state machine's and the API's logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * S3 buckets that hold the data the queries read. The state machine, which runs the queries, gets read
   * access to them (and decrypt on a bucket's KMS key when the bucket carries one). They add to
   * `config.dataBuckets` and `dataBucketArns`.
   *
   * @default - only the buckets named in the config or in dataBucketArns
   */
  readonly dataBuckets?: readonly s3.IBucket[];

  /**
   * ARNs of more data buckets (`arn:aws:s3:::my-data-lake`), as for {@link dataBuckets}. Data in a bucket
   * that none of `dataBuckets`, `dataBucketArns` and `config.dataBuckets` names cannot be read by
   * athena-wlm's queries.
   *
   * @default - none
   */
  readonly dataBucketArns?: readonly string[];

  /**
   * Most concurrent starter invocations (SQS event source MaximumConcurrency, 2 to 1000). Each invocation
   * admits up to 10 queries; every starter writes the one slot item, so more starters mean more write
   * conflicts, not more throughput, once the quota is in use.
   *
   * @default 5
   */
  readonly starterMaxConcurrency?: number;

  /**
   * A WAFv2 web ACL (REGIONAL scope) to associate with the API stage: a `wafv2.CfnWebACL` of your stack,
   * or any web ACL reference.
   *
   * @default - no web ACL (every method already requires SigV4), unless webAclArn names one
   */
  readonly webAcl?: wafv2.IWebACLRef;

  /**
   * ARN of a WAFv2 web ACL (REGIONAL scope) to associate with the API stage, as for {@link webAcl}, for
   * one made elsewhere (`arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>`).
   *
   * @default - no web ACL, unless webAcl gives one
   */
  readonly webAclArn?: string;

  /**
   * An existing bucket for Athena's results (each class writes under `results/<class>/`). It must use
   * S3-managed encryption; its access logging and the expiry of results are its owner's to set.
   *
   * @default - a new private bucket (S3-managed encryption, TLS only, access-logged) whose results expire
   * after `config.resultsRetentionDays`
   */
  readonly resultsBucket?: s3.IBucket;

  /**
   * Make sure the account and region has API Gateway's CloudWatch Logs role (the account setting every
   * API logs through, which the stage's access logging needs): a custom resource sets this stack's role
   * when none is set or the one set was deleted, and leaves a working one alone. The role is retained
   * when the stack is deleted, since the account keeps pointing at it. Set false when the account's
   * setting is managed elsewhere.
   *
   * @default true
   */
  readonly apiCloudWatchRole?: boolean;
}

/**
 * Runs every Amazon Athena query through one managed path: an IAM-authenticated API queues it, a starter
 * admits it to a slot of its workload class, a Standard state machine runs it with the native Athena
 * integration (retrying throttling with backoff, deferring it when throttling persists), a schedule
 * re-drives deferred queries, and a ledger, alarms and a dashboard tell where every query stands.
 */
export class AthenaWorkloadManager extends Construct {
  /** The validated config, defaults filled in, the stage applied to its names. */
  readonly config: WlmConfig;
  /** The stage, if any. */
  readonly stage?: string;
  /** CloudWatch namespace of athena-wlm's own metrics (the seed metrics among them). */
  readonly metricsNamespace: string;
  readonly api: apigateway.RestApi;
  readonly queriesQueue: sqs.Queue;
  readonly deferredQueue: sqs.Queue;
  readonly failedQueue: sqs.Queue;
  readonly ledgerTable: dynamodb.Table;
  /** The dispatcher's lines and slots. */
  readonly dispatchTable: dynamodb.Table;
  /** The dispatcher's FIFO wake queue. */
  readonly wakeQueue: sqs.Queue;
  readonly resultsBucket: s3.IBucket;
  readonly stateMachine: sfn.StateMachine;
  /** Athena workgroup of each class, by class name. */
  readonly workgroups: Readonly<Record<string, athena.CfnWorkGroup>>;
  /** Alert topic of each class, by class name. */
  readonly classTopics: Readonly<Record<string, sns.Topic>>;
  /** Submitter managed policy (`<prefix>-<class>-submit`) of each class, by class name. */
  readonly classPolicies: Readonly<Record<string, iam.ManagedPolicy>>;
  /** Everything deployed per class. */
  readonly classes: Readonly<Record<string, WorkloadClass>>;
  /** The admins' topic: quota, failed queue, throttling. */
  readonly alertTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;

  /** The parts, for users who need to reach further in. */
  readonly parts: {
    readonly queues: QueryQueues;
    readonly tables: QueryTables;
    readonly results: QueryResults;
    readonly runQuery: RunQueryStateMachine;
    readonly queryApi: QueryApi;
    readonly intake: QueryIntakePipe;
    readonly lifecycle: QueryLifecycle;
    readonly starter: QueryStarter;
    readonly dispatcher: QueryDispatcher;
    readonly redrive: RedriveSchedule;
    readonly reconciler: SlotReconciler;
    readonly quotaMonitor: QuotaMonitor;
    readonly workloadClasses: WorkloadClasses;
    readonly operationsDashboard: OperationsDashboard;
  };

  constructor(scope: Construct, id: string, props: AthenaWorkloadManagerProps = {}) {
    super(scope, id);
    const parsed = parseConfig(props.config ?? DEFAULT_CONFIG);
    this.stage = props.stage ?? parsed.stage;
    const config = withStage(parsed, this.stage);
    this.config = config;
    this.metricsNamespace = metricsNamespaceFor(this.stage);
    setMetricsNamespace(this, this.metricsNamespace);
    validateProps(props, config);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const common = { logRetention, removalPolicy };

    const queues = new QueryQueues(this, 'Queues', {
      namePrefix: config.namePrefix,
      starterTimeout: STARTER_TIMEOUT,
      redriveTimeout: REDRIVE_TIMEOUT,
      dispatcherTimeout: DISPATCHER_TIMEOUT,
      maxReceives: config.admission.maxReceives,
      removalPolicy,
    });
    // The construct id stays 'Ledger': renaming it would replace both tables of a deployed stack.
    const tables = new QueryTables(this, 'Ledger', { removalPolicy });
    const results = new QueryResults(this, 'Results', {
      retentionDays: config.resultsRetentionDays,
      removalPolicy,
      bucket: props.resultsBucket,
    });
    const alerts = new AlertTopics(this, 'Alerts', {
      namePrefix: config.namePrefix,
      adminEmails: config.adminEmails,
      removalPolicy,
    });

    const queryApi = new QueryApi(this, 'Api', {
      config,
      tables,
      apiName: props.apiName ?? `${config.namePrefix}-api`,
      stageName: props.stageName ?? 'v1',
      throttling: props.apiThrottling ?? { rateLimit: 50, burstLimit: 100 },
      webAclArn: props.webAcl?.webAclRef.webAclArn ?? props.webAclArn,
      cloudWatchRole: props.apiCloudWatchRole ?? true,
      ...common,
    });

    const intake = new QueryIntakePipe(this, 'Intake', {
      ledger: tables.ledger,
      queriesQueue: queues.queries,
      adminTopic: alerts.adminTopic,
      namePrefix: config.namePrefix,
      removalPolicy,
    });
    // Submissions go live with the stage: the pipe that carries them on to `queries` must exist first,
    // or a record written in between would wait for a message no one sends.
    queryApi.api.deploymentStage.node.addDependency(intake.pipe);

    const workloadClasses = new WorkloadClasses(this, 'Classes', { config, results, api: queryApi, alerts });
    const classes = workloadClasses.classes;

    const runQuery = new RunQueryStateMachine(this, 'RunQuery', {
      config,
      workgroupNames: Object.values(classes).map((c) => c.workgroupName),
      ledger: tables.ledger,
      wakeQueue: queues.wake,
      deferredQueue: queues.deferred,
      results,
      dataBuckets: this.dataBucketsOf(props),
      ...common,
    });
    // The workgroups must exist before an execution can name them.
    for (const c of Object.values(classes)) runQuery.stateMachine.node.addDependency(c.workgroup);

    const lifecycle = new QueryLifecycle(this, 'Lifecycle', {
      config,
      api: queryApi,
      tables,
      results,
      stateMachine: runQuery.stateMachine,
      wakeQueue: queues.wake,
      workgroupNames: Object.values(classes).map((c) => c.workgroupName),
      ...common,
    });

    const starter = new QueryStarter(this, 'Starter', {
      config,
      queriesQueue: queues.queries,
      failedQueue: queues.failed,
      tables,
      stateMachine: runQuery.stateMachine,
      maxConcurrency: props.starterMaxConcurrency ?? 5,
      ...common,
    });
    const dispatcher = new QueryDispatcher(this, 'Dispatcher', {
      config,
      wakeQueue: queues.wake,
      wakeFailedQueue: queues.wakeFailed,
      tables,
      stateMachine: runQuery.stateMachine,
      ...common,
    });
    const redrive = new RedriveSchedule(this, 'Redrive', {
      config,
      queriesQueue: queues.queries,
      deferredQueue: queues.deferred,
      failedQueue: queues.failed,
      tables,
      ...common,
    });
    const reconciler = new SlotReconciler(this, 'SlotReconciler', {
      config,
      tables,
      stateMachine: runQuery.stateMachine,
      wakeQueue: queues.wake,
      ...common,
    });
    const quotaMonitor = new QuotaMonitor(this, 'QuotaMonitor', {
      config,
      tables,
      adminTopic: alerts.adminTopic,
      alertKey: alerts.key,
      failedQueue: queues.failed,
      wakeFailedQueue: queues.wakeFailed,
      ...common,
    });
    const operationsDashboard = new OperationsDashboard(this, 'Dashboard', {
      config,
      classes,
      queues,
      stateMachine: runQuery.stateMachine,
    });

    this.api = queryApi.api;
    this.queriesQueue = queues.queries;
    this.deferredQueue = queues.deferred;
    this.failedQueue = queues.failed;
    this.ledgerTable = tables.ledger;
    this.dispatchTable = tables.dispatch;
    this.wakeQueue = queues.wake;
    this.resultsBucket = results.bucket;
    this.stateMachine = runQuery.stateMachine;
    this.classes = classes;
    this.workgroups = mapValues(classes, (c) => c.workgroup);
    this.classTopics = mapValues(classes, (c) => c.topic);
    this.classPolicies = mapValues(classes, (c) => c.policy);
    this.alertTopic = alerts.adminTopic;
    this.dashboard = operationsDashboard.dashboard;
    this.parts = {
      queues,
      tables,
      results,
      runQuery,
      queryApi,
      intake,
      lifecycle,
      starter,
      dispatcher,
      redrive,
      reconciler,
      quotaMonitor,
      workloadClasses,
      operationsDashboard,
    };
  }

  /**
   * Lets a principal use a class through the API: submit to it and read, cancel and list queries (what
   * the class's managed policy `<prefix>-<class>-submit` allows, without its direct Athena access).
   */
  grantSubmit(grantee: iam.IGrantable, className: string): iam.Grant {
    if (!this.config.classes[className]) {
      throw new Error(
        `grantSubmit: '${className}' is not a workload class of this deployment (classes: ${Object.keys(this.config.classes).join(', ')}).`,
      );
    }
    const api = this.parts.queryApi;
    const routes = classRoutes(this.config, className);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.map((route) => api.invokeArn(route)),
    });
    if (grantee.grantPrincipal instanceof Construct)
      api.acknowledgeInvokeWildcards(grantee.grantPrincipal, routes);
    return grant;
  }

  /** Every data bucket the queries may read: from the props, their ARNs and the config's names. */
  private dataBucketsOf(props: AthenaWorkloadManagerProps): s3.IBucket[] {
    return [
      ...(props.dataBuckets ?? []),
      ...(props.dataBucketArns ?? []).map((arn, i) =>
        s3.Bucket.fromBucketArn(this, `DataBucketArn${i}`, arn),
      ),
      ...this.config.dataBuckets.map((name, i) => s3.Bucket.fromBucketName(this, `DataBucket${i}`, name)),
    ];
  }
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}

function validateProps(props: AthenaWorkloadManagerProps, config: WlmConfig): void {
  const concurrency = props.starterMaxConcurrency;
  if (
    concurrency !== undefined &&
    (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000)
  ) {
    throw new Error(
      `starterMaxConcurrency: ${concurrency} is not allowed; SQS event sources take a MaximumConcurrency from 2 to 1000.`,
    );
  }
  (props.dataBucketArns ?? []).forEach((arn, index) => {
    // A token (another bucket's bucketArn) is only known at deploy time.
    if (!Token.isUnresolved(arn) && !/^arn:[^:]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(arn)) {
      throw new Error(
        `dataBucketArns.${index}: '${arn}' is not an S3 bucket ARN (arn:aws:s3:::bucket-name, no key or wildcard).`,
      );
    }
  });
  if (props.webAcl && props.webAclArn !== undefined) {
    throw new Error(
      'webAcl and webAclArn both name a web ACL; an API stage takes one. Pass only one of them.',
    );
  }
  const aclArn = props.webAclArn;
  // A token (another stack's web ACL ARN) is only known at deploy time.
  if (aclArn !== undefined && !Token.isUnresolved(aclArn) && !WEB_ACL_ARN.test(aclArn)) {
    throw new Error(
      `webAclArn: '${aclArn}' is not the ARN of a regional WAFv2 web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>); API Gateway stages take REGIONAL web ACLs only.`,
    );
  }
  if (props.stageName !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(props.stageName)) {
    throw new Error(`stageName: '${props.stageName}' may only hold letters, digits, - and _.`);
  }
  // Every function carries the config as JSON next to a few names and URLs (about 300 bytes of tokens).
  const configBytes = Buffer.byteLength(JSON.stringify(config), 'utf8');
  if (configBytes + 700 > LAMBDA_ENVIRONMENT_LIMIT) {
    throw new Error(
      `config: ${configBytes} bytes as JSON is too large to pass to the functions (Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} bytes of environment); shorten class descriptions or alertEmails/submitterArns lists.`,
    );
  }
}
