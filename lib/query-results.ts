import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag-acknowledgements';

/** Key prefix under which every class writes its Athena results (`results/<class>/`). */
export const RESULTS_PREFIX = 'results';

export interface QueryResultsProps {
  /** Days Athena results are kept (config.resultsRetentionDays). */
  readonly retentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The bucket Athena writes query results to, one prefix per class, and the bucket its server access logs
 * go to. Both private, S3-managed encryption, TLS only; results expire after the configured days.
 */
export class QueryResults extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: QueryResultsProps) {
    super(scope, id);
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
    };
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [{ expiration: Duration.days(Math.max(90, props.retentionDays)) }],
    });
    acknowledgeNag(
      this.accessLogsBucket,
      'AwsSolutions-S1',
      'This is the access-log bucket of the results bucket; logging it to itself would log its own log writes.',
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
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
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.loggingConfiguration = {
      destinationBucketName: this.accessLogsBucket.bucketName,
      logFilePrefix: 'results-bucket/',
    };
    this.accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogsBucket.arnForObjects('results-bucket/*')],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
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
