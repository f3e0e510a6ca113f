import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
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
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { getQueryApi } from './core/query-api';

const ddb = documentClient(traced(new DynamoDBClient({})));
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
export const handler = powertoolsHandler(logger, (event: APIGatewayProxyEvent) =>
  answer(event, logger, () => getQueryApi(event.pathParameters?.queryId, callerOf(event), deps())),
);
