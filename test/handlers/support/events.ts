import type { APIGatewayProxyEvent, Context, SQSRecord } from 'aws-lambda';
import { toLedgerItem } from '../../../functions/adapters/ledger-item';
import type { QueryRecord } from '../../../functions/core/query-record';

export const CALLER_ARN = 'arn:aws:iam::123456789012:user/alice';
/** Another IAM user: neither admin nor member of a class. */
export const OTHER_ARN = 'arn:aws:iam::123456789012:user/mallory';

export const lambdaContext = {
  functionName: 'athena-wlm-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:athena-wlm-test',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/athena-wlm-test',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** One record of the `queries` queue as the Lambda event source delivers it. */
export function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1767268800000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767268800000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queries',
    awsRegion: 'us-east-1',
  };
}

/** A new submission as API Gateway's mapping template puts it on the queue. */
export function submissionBody(queryId: string, className: string, query = 'SELECT 1'): string {
  return JSON.stringify({
    className,
    queryId,
    attempt: 1,
    // Recent, so that no query is past its class's maxQueueWaitMinutes when the handler looks at it.
    submittedAt: Date.now() - 1000,
    body: { query },
  });
}

/** A Lambda proxy integration request with IAM auth. */
export function apiEvent(
  method: string,
  path: string,
  pathParameters: Record<string, string> | null,
  query: Record<string, string> | null = null,
  callerArn: string = CALLER_ARN,
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    pathParameters,
    queryStringParameters: query,
    multiValueQueryStringParameters: null,
    headers: {},
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: 'api-req-1',
      identity: { userArn: callerArn, caller: 'AIDAEXAMPLE' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

export function queryRecord(queryId: string, overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    queryId,
    className: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-01-01T12:00:00.000Z',
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: '2026-01-01T12:00:00.000Z',
    submittedBy: CALLER_ARN,
    ...overrides,
  };
}

/** A record as the ledger table stores it, for a mocked DocumentClient to answer with. */
export function storedItem(queryId: string, overrides: Partial<QueryRecord> = {}): Record<string, unknown> {
  return toLedgerItem(queryRecord(queryId, overrides));
}
