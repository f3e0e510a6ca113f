import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { answer } from './adapters/aws/api-gateway';
import { lambdaLogger, ledgerFromEnv, once, systemClock } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { getQueryApi } from './core/query-api';

const ddb = documentClient();
const logger = lambdaLogger('get-query');
const ledger = once(() => ledgerFromEnv(ddb));

/** `GET /queries/{queryId}`: the ledger record with queue wait and elapsed time. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  answer(event, logger, () =>
    getQueryApi(event.pathParameters?.queryId, { ledger: ledger(), clock: systemClock }),
  );
