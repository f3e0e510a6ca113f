import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { answer, callerOf, queryParams } from './adapters/aws/api-gateway';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { listQueriesApi } from './core/query-api';

const ddb = documentClient();
const logger = lambdaLogger('list-queries');
const deps = once(() => {
  const config = configFromEnv();
  return { config, ledger: ledgerFromEnv(ddb, config), clock: systemClock };
});

/** `GET /queries?workgroup=&status=&userId=&limit=&nextToken=`: recent queries the caller may see, newest first. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  answer(event, logger, () => listQueriesApi(queryParams(event), callerOf(event), deps()));
