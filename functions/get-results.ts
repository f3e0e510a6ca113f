import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { answer, callerOf, queryParams } from './adapters/aws/api-gateway';
import { AthenaResults } from './adapters/aws/athena-results';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { getResultsApi } from './core/query-api';

const ddb = documentClient(traced(new DynamoDBClient({})));
const athena = traced(new AthenaClient({}));
const s3 = traced(new S3Client({}));
const logger = lambdaLogger('get-results');
const deps = once(() => ({
  config: configFromEnv(),
  ledger: ledgerFromEnv(ddb),
  results: new AthenaResults(athena, s3, { clock: systemClock }),
}));

/** `GET /queries/{queryId}/results?maxResults=&nextToken=`: rows, columns and a presigned CSV link. */
export const handler = powertoolsHandler(logger, (event: APIGatewayProxyEvent) =>
  answer(event, logger, () =>
    getResultsApi(event.pathParameters?.queryId, queryParams(event), callerOf(event), deps()),
  ),
);
