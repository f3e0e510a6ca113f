import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { answer, callerOf } from './adapters/aws/api-gateway';
import {
  dispatchStoreFromEnv,
  lambdaLogger,
  ledgerFromEnv,
  once,
  systemClock,
} from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { getQueryApi } from './core/query-api';

const ddb = documentClient();
const logger = lambdaLogger('get-query');
const deps = once(() => ({
  config: configFromEnv(),
  ledger: ledgerFromEnv(ddb),
  line: dispatchStoreFromEnv(ddb),
  clock: systemClock,
}));

/**
 * `GET /queries/{queryId}`: the ledger record with queue wait and elapsed time, and why a waiting query
 * waits, to those who may see it.
 */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  answer(event, logger, () => getQueryApi(event.pathParameters?.queryId, callerOf(event), deps()));
