import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLES } from '../contracts/tables';
import { acknowledgeNag, acknowledgeWildcardResources } from './nag-acknowledgements';
import { queueNotEmptyAlarm } from './queue-alarm';

/**
 * Deliveries of one batch of stream records to `queries`: until it is delivered (-1), since a record set
 * aside leaves its query QUEUED with no message; only a record the stream itself would drop is set aside.
 */
export const INTAKE_MAX_RETRIES = -1;
/** Stream records older than this are set aside: the stream keeps 24 hours. */
export const INTAKE_MAX_RECORD_AGE = Duration.hours(24);

/**
 * The message the pipe sends `queries` for each new ledger record: it names the query, and the starter
 * reads the rest from the record. EventBridge Pipes replaces `<$.path>` with the value at that path of
 * the stream record (quoted here because the values are strings):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html
 * The class goes under both its names: a starter of the previous release, still running while a deploy
 * updates the pipe first, reads only `workgroup`.
 */
export const INTAKE_MESSAGE_TEMPLATE = `{"className": "<$.dynamodb.NewImage.${TABLES.ledgerClassAttribute}.S>", "workgroup": "<$.dynamodb.NewImage.${TABLES.ledgerClassAttribute}.S>", "queryId": "<$.dynamodb.Keys.${TABLES.ledgerKey}.S>", "attempt": 1}`;

/**
 * Only new records are queued: the pipe's filter matches the stream record's eventName
 * (INSERT, MODIFY or REMOVE: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html;
 * filtering: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html).
 * Every later write of a record (the starter's, the state machine's) is a MODIFY; an identical retried
 * submission changes nothing, and an UpdateItem that changes no data writes no stream record at all
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html).
 */
export const INTAKE_FILTER_PATTERN = JSON.stringify({ eventName: ['INSERT'] });

export interface QueryIntakePipeProps {
  /** The query ledger, with a stream that carries new images. */
  readonly ledger: dynamodb.ITable;
  /** The `queries` queue the starter consumes. */
  readonly queriesQueue: sqs.IQueue;
  /** Told when a record could not be queued. */
  readonly adminTopic: sns.ITopic;
  readonly namePrefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The ledger's stream as the intake's outbox: an EventBridge Pipe reads it and sends `queries` a message
 * for each record the API created, so a recorded query always gets its message and no Lambda sits on the
 * intake path. Batches that cannot be delivered after bounded retries go to `intake-failed`, which alarms.
 */
export class QueryIntakePipe extends Construct {
  readonly pipe: pipes.CfnPipe;
  readonly role: iam.Role;
  /** Stream batches the pipe could not deliver (their metadata: shard and sequence numbers). */
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: QueryIntakePipeProps) {
    super(scope, id);
    const streamArn = props.ledger.tableStreamArn;
    if (!streamArn) throw new Error('QueryIntakePipe: the ledger table has no stream; give it NEW_IMAGE.');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetter', {
      queueName: `${props.namePrefix}-intake-failed`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    acknowledgeNag(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      "This is the pipe's dead-letter queue (its DeadLetterConfig, not an SQS redrive policy); nothing consumes it but an admin.",
    );

    // The permissions a DynamoDB stream source, an SQS target and an SQS dead-letter queue need:
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com'),
      description: 'EventBridge Pipes queues each query the API recorded in the ledger',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    // ListStreams takes no resource: "*" is the only one it accepts.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    acknowledgeWildcardResources(
      this.role,
      ['*'],
      'dynamodb:ListStreams has no resource-level permissions; the stream itself is read only by its ARN.',
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [props.queriesQueue.queueArn, this.deadLetterQueue.queueArn],
      }),
    );

    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      name: `${props.namePrefix}-intake`,
      description: 'athena-wlm: queues each query the API recorded in the ledger',
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        filterCriteria: { filters: [{ pattern: INTAKE_FILTER_PATTERN }] },
        dynamoDbStreamParameters: {
          // From the oldest record the stream holds: nothing written before the pipe ran is missed (the
          // starter is idempotent on queryId, so a record seen twice runs once).
          startingPosition: 'TRIM_HORIZON',
          // SQS takes batches of 10 (SendMessageBatch); the template is applied to each record:
          // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html
          batchSize: 10,
          maximumBatchingWindowInSeconds: 0,
          parallelizationFactor: 10,
          maximumRetryAttempts: INTAKE_MAX_RETRIES,
          maximumRecordAgeInSeconds: INTAKE_MAX_RECORD_AGE.toSeconds(),
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
      },
      target: props.queriesQueue.queueArn,
      targetParameters: { inputTemplate: INTAKE_MESSAGE_TEMPLATE },
    });
    // The role's policy must exist before the pipe starts reading.
    this.pipe.node.addDependency(this.role);

    this.deadLetterAlarm = queueNotEmptyAlarm(this, 'DeadLetterAlarm', {
      queue: this.deadLetterQueue,
      alarmName: `${props.namePrefix}-intake-failed`,
      alarmDescription:
        'Recorded queries could not be sent to the queries queue: they stay QUEUED and will not run. Each message in intake-failed names the stream batch; list QUEUED queries (GET /queries?status=QUEUED) and send each one to queries as {"className": ..., "queryId": ..., "attempt": 1}.',
    });
    this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.adminTopic));
  }
}
