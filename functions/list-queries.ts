import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { answer, callerOf, queryParams } from './adapters/aws/api-gateway';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { listQueriesApi } from './core/query-api';

const ddb = documentClient(traced(new DynamoDBClient({})));
const logger = lambdaLogger('list-queries');
const deps = once(() => {
  const config = configFromEnv();
  return { config, ledger: ledgerFromEnv(ddb, config), clock: systemClock };
});

/** `GET /queries?className=&status=&userId=&limit=&nextToken=`: recent queries the caller may see, newest first. */
export const handler = powertoolsHandler(logger, (event: APIGatewayProxyEvent) =>
  answer(event, logger, () => listQueriesApi(queryParams(event), callerOf(event), deps())),
);
