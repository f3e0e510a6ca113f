import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLES } from '../contracts/tables';

export interface QueryLedgerProps {
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

/**
 * The query ledger (one item per query, keyed by queryId, with a by-class index) and the dispatch table
 * (the dispatcher's lines, one partition per class sorted by submission, and the slots held, one item
 * each; TTL removes a line item whose leave message was lost). Both on-demand, encrypted with the
 * AWS-managed key and with point-in-time recovery.
 */
export class QueryLedger extends Construct {
  readonly ledger: dynamodb.Table;
  readonly dispatch: dynamodb.Table;

  constructor(scope: Construct, id: string, props: QueryLedgerProps) {
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
    });
    this.ledger.addGlobalSecondaryIndex({
      indexName: TABLES.ledgerByWorkgroupIndex,
      partitionKey: { name: 'workgroup', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'submittedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.dispatch = new dynamodb.Table(this, 'Dispatch', {
      ...common,
      partitionKey: { name: TABLES.dispatchPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLES.dispatchSortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: TABLES.dispatchTtl,
    });
  }

  /** Read access to the ledger and its by-class index (named, not `index/*`). */
  grantLedgerRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: READ_ACTIONS, resources: this.ledgerResources() }),
    );
  }

  grantLedgerReadWrite(grantee: iam.IGrantable): void {
    this.grantLedgerRead(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: WRITE_ACTIONS, resources: [this.ledger.tableArn] }),
    );
  }

  /** Reading the dispatcher's state: the slots held, the heads of the lines, the wait statuses. */
  grantDispatchRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [this.dispatch.tableArn] }),
    );
  }

  /** What the dispatcher, the only writer of the dispatch table, calls on it. */
  grantDispatchWrite(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [this.dispatch.tableArn],
      }),
    );
  }

  /** Exactly these single-item actions on the ledger table (its index is not included). */
  grantLedgerItems(grantee: iam.IGrantable, ...actions: readonly ItemAction[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...actions], resources: [this.ledger.tableArn] }),
    );
  }

  /** `dynamodb:Query` on the `byWorkgroup` index only: listing and counting by class, never a scan. */
  grantLedgerQueryByWorkgroup(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [this.byWorkgroupIndexArn] }),
    );
  }

  /** ARN of the ledger's `byWorkgroup` index. */
  get byWorkgroupIndexArn(): string {
    return `${this.ledger.tableArn}/index/${TABLES.ledgerByWorkgroupIndex}`;
  }

  private ledgerResources(): string[] {
    return [this.ledger.tableArn, this.byWorkgroupIndexArn];
  }
}
