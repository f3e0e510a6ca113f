import { parseConfig, type WlmConfig } from '../../../lib/config';

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
} as const;

/** DynamoDB key and index names of the ledger and dispatch tables. */
export const TABLES = {
  ledgerKey: 'queryId',
  /** GSI: queries of a class, newest first (partition workgroup, sort submittedAt). */
  ledgerByWorkgroupIndex: 'byWorkgroup',
  /** The dispatch table: lines (`line#<class>`), slots held (`held`), wait statuses (`status`). */
  dispatchPartitionKey: 'pk',
  dispatchSortKey: 'sk',
  /** Epoch seconds after which DynamoDB's TTL removes a line item whose leave message was lost. */
  dispatchTtl: 'expiresAt',
} as const;

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`Environment variable ${name} is not set; the stack sets it for this function.`);
  return value;
}

let cachedConfig: WlmConfig | undefined;

/** The config from the environment, parsed once per container. */
export function configFromEnv(): WlmConfig {
  cachedConfig ??= parseConfig(JSON.parse(requireEnv(ENV.config)), `${ENV.config} environment variable`);
  return cachedConfig;
}
