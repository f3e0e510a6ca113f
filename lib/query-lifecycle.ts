import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import type { QueryApi } from './query-api';
import { type QueryResults, RESULTS_PREFIX } from './query-results';
import { grantQuotaRead } from './query-starter';
import type { QueryTables } from './query-tables';
import { executionsArnOf } from './run-query-state-machine';
import { WlmFunction } from './wlm-function';

/** Athena actions the results function calls (GetQueryResults pages the rows of a SUCCEEDED query). */
export const RESULTS_ATHENA_ACTIONS = ['athena:GetQueryResults'] as const;

/**
 * Step Functions actions the cancel function calls on run-query executions: StopExecution, and
 * DescribeExecution when a stop fails, to tell an execution that already ended from a real failure.
 */
export const CANCEL_EXECUTION_ACTIONS = ['states:StopExecution', 'states:DescribeExecution'] as const;

export interface QueryLifecycleProps {
  readonly config: WlmConfig;
  /** The API the routes are added to. */
  readonly api: QueryApi;
  readonly tables: QueryTables;
  readonly results: QueryResults;
  /** The run-query state machine, whose executions a cancel stops. */
  readonly stateMachine: sfn.StateMachine;
  /** The dispatcher's wake queue: a cancel takes the query out of its line or gives its slot back. */
  readonly wakeQueue: sqs.IQueue;
  /** Athena workgroups of the classes: the only ones whose results may be read. */
  readonly workgroupNames: readonly string[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The routes of a query's life after submission, each a Lambda proxy route with IAM auth and a role that
 * allows exactly the calls its handler makes: list queries, read results, cancel, list workload classes.
 */
export class QueryLifecycle extends Construct {
  /** `GET /queries`: the ledger's by-class index, newest first. */
  readonly listQueriesFunction: WlmFunction;
  /** `GET /queries/{queryId}/results`: Athena's result pages and a presigned link to the CSV. */
  readonly getResultsFunction: WlmFunction;
  /** `DELETE /queries/{queryId}`: the ledger, the slot and the execution. */
  readonly cancelQueryFunction: WlmFunction;
  /** `GET /workgroups`: slots in use and waiting counts per class. */
  readonly listWorkgroupsFunction: WlmFunction;

  constructor(scope: Construct, id: string, props: QueryLifecycleProps) {
    super(scope, id);
    const { config, api, tables } = props;
    const stack = Stack.of(this);
    const common = { logRetention: props.logRetention, logRemovalPolicy: props.removalPolicy };
    const configEnv = { [ENV.config]: JSON.stringify(config) };

    this.listQueriesFunction = new WlmFunction(this, 'ListQueries', {
      handler: 'listQueries',
      description: 'athena-wlm: GET /queries lists recent queries from the ledger by-class index',
      environment: configEnv,
      ...common,
    });
    tables.bindLedger(this.listQueriesFunction.function, 'queryByClass');
    api.addLambdaRoute('listQueries', this.listQueriesFunction.function);

    this.getResultsFunction = new WlmFunction(this, 'GetResults', {
      handler: 'getResults',
      description: 'athena-wlm: GET /queries/{queryId}/results pages Athena results, presigns the CSV',
      environment: configEnv,
      ...common,
    });
    const resultsRole = this.getResultsFunction.role;
    tables.bindLedger(this.getResultsFunction.function, 'dynamodb:GetItem');
    resultsRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [...RESULTS_ATHENA_ACTIONS],
        resources: props.workgroupNames.map((name) =>
          stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: name }),
        ),
      }),
    );
    // GetQueryResults reads the result file with the caller's permissions, and the presigned CSV link
    // acts with them too: GetObject on what Athena wrote, under the results prefix only.
    const resultObjects = props.results.bucket.arnForObjects(`${RESULTS_PREFIX}/*`);
    resultsRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [resultObjects] }),
    );
    acknowledgeWildcardResources(
      resultsRole,
      [resultObjects],
      'Result object keys are Athena query execution ids, unknown until run time; the grant stops at the results prefix the class workgroups write to.',
    );
    api.addLambdaRoute('getResults', this.getResultsFunction.function);

    this.cancelQueryFunction = new WlmFunction(this, 'CancelQuery', {
      handler: 'cancelQuery',
      description: 'athena-wlm: DELETE /queries/{queryId} cancels a query wherever it is',
      environment: { ...configEnv, [ENV.wakeQueueUrl]: props.wakeQueue.queueUrl },
      ...common,
    });
    const cancelRole = this.cancelQueryFunction.role;
    tables.bindLedger(this.cancelQueryFunction.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // The dispatcher takes the query out of its line or frees its slot: one message to its wake queue.
    props.wakeQueue.grantSendMessages(cancelRole);
    const executions = executionsArnOf(props.stateMachine);
    cancelRole.addToPolicy(
      new iam.PolicyStatement({ actions: [...CANCEL_EXECUTION_ACTIONS], resources: [executions] }),
    );
    acknowledgeWildcardResources(
      cancelRole,
      [executions],
      'Stop (and describe) executions of the run-query state machine only; execution names are query ids, unknown until run time.',
    );
    api.addLambdaRoute('cancelQuery', this.cancelQueryFunction.function);

    this.listWorkgroupsFunction = new WlmFunction(this, 'ListWorkgroups', {
      handler: 'listWorkgroups',
      description: 'athena-wlm: GET /workgroups shows each class with its slots in use and waiting queries',
      environment: configEnv,
      ...common,
    });
    const workgroupsRole = this.listWorkgroupsFunction.role;
    tables.bindDispatch(this.listWorkgroupsFunction.function, 'read');
    tables.bindLedger(this.listWorkgroupsFunction.function, 'queryByClass');
    // With a fixed quota in the config the handler never asks Service Quotas.
    if (config.quota.activeDmlQueries === 'service-quotas') grantQuotaRead(workgroupsRole, this);
    api.addLambdaRoute('listWorkgroups', this.listWorkgroupsFunction.function);
  }
}
