import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Visibility timeout of a queue consumed by a Lambda event source: at least 6 x the function timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

/** Queries that fail to leave the deferred queue this many times in a row are parked as poison. */
export const DEFERRED_MAX_RECEIVES = 5;

export interface QueryQueuesProps {
  /** Prefix of the queue names. */
  readonly namePrefix: string;
  /** Timeout of the starter function that consumes `queries`. */
  readonly starterTimeout: Duration;
  /** Timeout of the redrive function that consumes `queries-deferred`. */
  readonly redriveTimeout: Duration;
  /** Timeout of the dispatcher function that consumes `dispatch-wake.fifo`. */
  readonly dispatcherTimeout: Duration;
  /** Receives of one `queries` message before SQS parks it in `queries-failed` (config.admission.maxReceives). */
  readonly maxReceives: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Passes that fail on the same wake events in a row before SQS sets them aside in `dispatch-wake-failed`
 * (where each sweep retries them). A failing batch holds up the one message group, so this is small: 5
 * receives of a 3-minute visibility timeout.
 */
export const WAKE_MAX_RECEIVES = 5;

/**
 * The queues of the pipeline. `queries` holds submissions until the starter records them and starts
 * their executions; `queries-deferred` holds queries that throttling outlasted, until the redrive
 * schedule sends them back; `queries-failed` parks what can never run, with its reason. The FIFO
 * `dispatch-wake.fifo` carries, in order, every event that may let a waiting query start (its line
 * lives in DynamoDB, not in a queue); events that keep failing go to `dispatch-wake-failed.fifo`, and
 * the next sweep repairs what they would have done.
 *
 * Encryption is SQS-managed SSE: no key to manage or pay for, and API Gateway, Step Functions and Lambda
 * can use the queues without KMS grants. Queries are SQL text plus who sent it; a customer-managed key
 * would add cost and grants without narrowing who can read them (IAM already does).
 */
export class QueryQueues extends Construct {
  readonly queries: sqs.Queue;
  readonly deferred: sqs.Queue;
  readonly failed: sqs.Queue;
  readonly wake: sqs.Queue;
  readonly wakeFailed: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueryQueuesProps) {
    super(scope, id);
    const common: sqs.QueueProps = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Nothing expires while the product is healthy: 14 days is SQS's maximum.
      retentionPeriod: Duration.days(14),
      // A query may be 262,144 bytes of SQL; with its envelope it needs more than SQS's old 256 KiB.
      maxMessageSizeBytes: 1_048_576,
      removalPolicy: props.removalPolicy,
    };

    this.failed = new sqs.Queue(this, 'Failed', {
      ...common,
      queueName: `${props.namePrefix}-queries-failed`,
    });

    this.queries = new sqs.Queue(this, 'Queries', {
      ...common,
      queueName: `${props.namePrefix}-queries`,
      visibilityTimeout: Duration.seconds(props.starterTimeout.toSeconds() * VISIBILITY_TO_TIMEOUT_RATIO),
      deadLetterQueue: { queue: this.failed, maxReceiveCount: props.maxReceives },
    });

    this.deferred = new sqs.Queue(this, 'Deferred', {
      ...common,
      queueName: `${props.namePrefix}-queries-deferred`,
      // Received by the redrive function in a loop, not an event source: twice its timeout is enough.
      visibilityTimeout: Duration.seconds(props.redriveTimeout.toSeconds() * 2),
      // A message that keeps breaking the redrive run is parked instead of blocking every run.
      deadLetterQueue: { queue: this.failed, maxReceiveCount: DEFERRED_MAX_RECEIVES },
    });

    const fifo: sqs.QueueProps = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      fifo: true,
      // Senders without their own deduplication id (the schedule, a retried send) collapse on the body.
      contentBasedDeduplication: true,
      retentionPeriod: Duration.days(4),
      removalPolicy: props.removalPolicy,
    };
    this.wakeFailed = new sqs.Queue(this, 'WakeFailed', {
      ...fifo,
      queueName: `${props.namePrefix}-dispatch-wake-failed.fifo`,
      retentionPeriod: Duration.days(14),
    });
    this.wake = new sqs.Queue(this, 'Wake', {
      ...fifo,
      queueName: `${props.namePrefix}-dispatch-wake.fifo`,
      visibilityTimeout: Duration.seconds(props.dispatcherTimeout.toSeconds() * VISIBILITY_TO_TIMEOUT_RATIO),
      deadLetterQueue: { queue: this.wakeFailed, maxReceiveCount: WAKE_MAX_RECEIVES },
    });
  }
}
