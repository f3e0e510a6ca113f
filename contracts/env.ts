/**
 * Environment variables the stack gives the Lambda functions: one list, used by the stack to set them
 * and by handlers to read them, so the two cannot drift.
 */
export const ENV = {
  /** The validated athena-wlm config, as JSON. */
  config: 'WLM_CONFIG',
  ledgerTable: 'LEDGER_TABLE_NAME',
  dispatchTable: 'DISPATCH_TABLE_NAME',
  wakeQueueUrl: 'WAKE_QUEUE_URL',
  wakeFailedQueueUrl: 'WAKE_FAILED_QUEUE_URL',
  stateMachineArn: 'STATE_MACHINE_ARN',
  queriesQueueUrl: 'QUERIES_QUEUE_URL',
  deferredQueueUrl: 'DEFERRED_QUEUE_URL',
  failedQueueUrl: 'FAILED_QUEUE_URL',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  resultsBucket: 'RESULTS_BUCKET_NAME',
  /** Read by Powertools Metrics: the CloudWatch namespace (a stage's own). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
