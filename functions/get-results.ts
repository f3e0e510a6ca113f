import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { answer, callerOf, queryParams } from './adapters/aws/api-gateway';
import { AthenaResults } from './adapters/aws/athena-results';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { getResultsApi } from './core/query-api';

const ddb = documentClient();
const athena = new AthenaClient({});
const s3 = new S3Client({});
const logger = lambdaLogger('get-results');
const deps = once(() => ({
  config: configFromEnv(),
  ledger: ledgerFromEnv(ddb),
  results: new AthenaResults(athena, s3, { clock: systemClock }),
}));

/** `GET /queries/{queryId}/results?maxResults=&nextToken=`: rows, columns and a presigned CSV link. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  answer(event, logger, () =>
    getResultsApi(event.pathParameters?.queryId, queryParams(event), callerOf(event), deps()),
  );
