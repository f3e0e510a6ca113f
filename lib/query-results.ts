import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag-acknowledgements';

/** Key prefix under which every class writes its Athena results (`results/<class>/`). */
export const RESULTS_PREFIX = 'results';

export interface QueryResultsProps {
  /** Days Athena results are kept (config.resultsRetentionDays); not applied to an existing bucket. */
  readonly retentionDays: number;
  readonly removalPolicy: RemovalPolicy;
  /**
   * A bucket of yours to write results to instead, under `results/<class>/`. Its encryption (SSE-S3:
   * Athena writes with SSE_S3), access logging and expiry are its owner's.
   *
   * @default - a new bucket: private, S3-managed encryption, TLS only, access-logged, results expire
   * after `retentionDays`
   */
  readonly bucket?: s3.IBucket;
}

/**
 * The bucket Athena writes query results to, one prefix per class, and the bucket its server access logs
 * go to. Both private, S3-managed encryption, TLS only; results expire after the configured days. With
 * an existing bucket, only that bucket.
 */
export class QueryResults extends Construct {
  readonly bucket: s3.IBucket;
  /** Absent with an existing results bucket. */
  readonly accessLogsBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: QueryResultsProps) {
    super(scope, id);
    if (props.bucket) {
      if (props.bucket.encryptionKey) {
        throw new Error(
          'resultsBucket: a bucket encrypted with a KMS key is not supported; the workgroups write results with SSE_S3 and grant no KMS use. Pass a bucket with S3-managed encryption, or leave resultsBucket out and athena-wlm creates one.',
        );
      }
      this.bucket = props.bucket;
      return;
    }
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
    };
    const accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [{ expiration: Duration.days(Math.max(90, props.retentionDays)) }],
    });
    this.accessLogsBucket = accessLogsBucket;
    acknowledgeNag(
      accessLogsBucket,
      'AwsSolutions-S1',
      'This is the access-log bucket of the results bucket; logging it to itself would log its own log writes.',
    );

    const bucket = new s3.Bucket(this, 'Bucket', {
      ...common,
      lifecycleRules: [
        {
          expiration: Duration.days(props.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    // Server access logging set on the L1 resource with an explicit bucket policy on the log bucket, so it
    // works the same whatever the app's `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` flag says.
    this.bucket = bucket;
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.loggingConfiguration = {
      destinationBucketName: accessLogsBucket.bucketName,
      logFilePrefix: 'results-bucket/',
    };
    accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [accessLogsBucket.arnForObjects('results-bucket/*')],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
  }

  /** `results/<class>/` (no leading slash). */
  static classPrefix(className: string): string {
    return `${RESULTS_PREFIX}/${className}/`;
  }

  /** `s3://<bucket>/results/<class>/`, the class workgroup's enforced result location. */
  classLocation(className: string): string {
    return `s3://${this.bucket.bucketName}/${QueryResults.classPrefix(className)}`;
  }
}
