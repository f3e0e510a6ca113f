import { ENV } from '../../../functions/adapters/aws/environment';
import { DEFAULT_CONFIG } from '../../../lib/config';

/*
 * Imported first by every handler test: handlers build their loggers at import and read the rest of
 * the environment on their first call, as they do in Lambda.
 */
export const TEST_ENV = {
  [ENV.config]: JSON.stringify(DEFAULT_CONFIG),
  [ENV.ledgerTable]: 'ledger-table',
  [ENV.dispatchTable]: 'dispatch-table',
  [ENV.wakeQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/athena-wlm-dispatch-wake.fifo',
  [ENV.stateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:run-query',
  [ENV.queriesQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/queries',
  [ENV.deferredQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/queries-deferred',
  [ENV.failedQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/queries-failed',
  [ENV.alertTopicArn]: 'arn:aws:sns:us-east-1:123456789012:athena-wlm-admins',
  [ENV.resultsBucket]: 'results-bucket',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
} as const;

Object.assign(process.env, TEST_ENV);
