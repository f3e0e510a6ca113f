import { DEFAULT_CONFIG } from '../../../contracts/config';
import { ENV } from '../../../contracts/env';

/*
 * Imported first by every handler test: handlers build their loggers at import and read the rest of
 * the environment on their first call, as they do in Lambda.
 */
/** A role whose sessions are admins (config adminArns). */
export const ADMIN_ROLE_ARN = 'arn:aws:iam::123456789012:role/ops/wlm-admin';
/** A role that submits to `fast`, which shares its queries within the class. */
export const ANALYSTS_ROLE_ARN = 'arn:aws:iam::123456789012:role/analysts';

const config = {
  ...DEFAULT_CONFIG,
  adminArns: [ADMIN_ROLE_ARN],
  classes: {
    ...DEFAULT_CONFIG.classes,
    fast: { ...DEFAULT_CONFIG.classes.fast, submitterArns: [ANALYSTS_ROLE_ARN], shareWithinClass: true },
  },
};

export const TEST_ENV = {
  [ENV.config]: JSON.stringify(config),
  [ENV.ledgerTable]: 'ledger-table',
  [ENV.dispatchTable]: 'dispatch-table',
  [ENV.wakeQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/athena-wlm-dispatch-wake.fifo',
  [ENV.wakeFailedQueueUrl]:
    'https://sqs.us-east-1.amazonaws.com/123456789012/athena-wlm-dispatch-wake-failed.fifo',
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
