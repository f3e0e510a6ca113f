import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../contracts/env';
import { TABLES } from '../contracts/tables';

export interface QueryTablesProps {
  readonly removalPolicy: RemovalPolicy;
}

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Single-item DynamoDB actions, for grants of exactly the calls a function makes. */
export type ItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem';

/** What {@link QueryTables.bindLedger} grants. */
export type LedgerAccess = 'read' | 'readWrite' | 'queryByClass' | ItemAction;

/**
 * The query ledger (one item per query, keyed by queryId, with a by-class index) and the dispatch table
 * (the dispatcher's lines, one partition per class sorted by submission, and the slots held, one item
 * each; TTL removes a line item whose leave message was lost). Both on-demand, encrypted with the
 * AWS-managed key and with point-in-time recovery. The ledger's stream carries new records to `queries`.
 */
export class QueryTables extends Construct {
  readonly ledger: dynamodb.Table;
  readonly dispatch: dynamodb.Table;

  constructor(scope: Construct, id: string, props: QueryTablesProps) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
    };
    this.ledger = new dynamodb.Table(this, 'Ledger', {
      ...common,
      partitionKey: { name: TABLES.ledgerKey, type: dynamodb.AttributeType.STRING },
      // The intake's outbox: each record the API creates is queued from here (QueryIntakePipe).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    this.ledger.addGlobalSecondaryIndex({
      indexName: TABLES.ledgerByClassIndex,
      partitionKey: { name: TABLES.ledgerClassAttribute, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLES.ledgerByClassSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.dispatch = new dynamodb.Table(this, 'Dispatch', {
      ...common,
      partitionKey: { name: TABLES.dispatchPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLES.dispatchSortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLES.dispatchTtl,
    });
  }

  /**
   * Gives a function the ledger: its table name in {@link ENV.ledgerTable} and exactly these rights,
   * `read` (items and the class index), `readWrite`, `queryByClass` (the class index only: listing
   * and counting by class, never a scan) or single-item actions.
   */
  bindLedger(fn: lambda.Function, ...access: readonly [LedgerAccess, ...LedgerAccess[]]): iam.Grant {
    fn.addEnvironment(ENV.ledgerTable, this.ledger.tableName);
    const items = access.filter((a): a is ItemAction => a.startsWith('dynamodb:'));
    const grants = [
      ...(access.includes('read') || access.includes('readWrite')
        ? [this.grant(fn, READ_ACTIONS, [this.ledger.tableArn, this.byWorkgroupIndexArn])]
        : []),
      ...(access.includes('readWrite') ? [this.grant(fn, WRITE_ACTIONS, [this.ledger.tableArn])] : []),
      ...(access.includes('queryByClass')
        ? [this.grant(fn, ['dynamodb:Query'], [this.byWorkgroupIndexArn])]
        : []),
      ...(items.length > 0 ? [this.grant(fn, items, [this.ledger.tableArn])] : []),
    ];
    return combine(grants);
  }

  /**
   * Gives a function the dispatch table: its name in {@link ENV.dispatchTable} and `read` (the slots
   * held, the heads of the lines, the wait statuses) or `write` (what the dispatcher, its one writer, calls).
   */
  bindDispatch(fn: lambda.Function, access: 'read' | 'write'): iam.Grant {
    fn.addEnvironment(ENV.dispatchTable, this.dispatch.tableName);
    const actions =
      access === 'write' ? ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] : ['dynamodb:Query'];
    return this.grant(fn, actions, [this.dispatch.tableArn]);
  }

  /** ARN of the ledger's `byWorkgroup` index. */
  get byWorkgroupIndexArn(): string {
    return `${this.ledger.tableArn}/index/${TABLES.ledgerByClassIndex}`;
  }

  private grant(grantee: iam.IGrantable, actions: readonly string[], resourceArns: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
  }
}

/** The grants as one. */
function combine(grants: readonly iam.Grant[]): iam.Grant {
  const [first, ...rest] = grants;
  return rest.reduce((all, grant) => all.combine(grant), first);
}
