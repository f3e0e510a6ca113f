import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { answer, callerOf } from './adapters/aws/api-gateway';
import { lambdaLogger, ledgerFromEnv, once, systemClock, wakeFromEnv } from './adapters/aws/aws-runtime';
import { documentClient } from './adapters/aws/dynamodb-ledger';
import { configFromEnv } from './adapters/aws/environment';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { SfnExecutionControl } from './adapters/aws/sfn-execution-control';
import type { CancelQueryDeps } from './core/cancel-query';
import { cancelQueryApi } from './core/query-api';

const ddb = documentClient(traced(new DynamoDBClient({})));
const sfn = traced(new SFNClient({}));
const sqs = traced(new SQSClient({}));
const logger = lambdaLogger('cancel-query');
const deps = once((): CancelQueryDeps & { config: ReturnType<typeof configFromEnv> } => ({
  config: configFromEnv(),
  ledger: ledgerFromEnv(ddb),
  wake: wakeFromEnv(sqs),
  executions: new SfnExecutionControl(sfn),
  clock: systemClock,
}));

/** `DELETE /queries/{queryId}`: cancels the query wherever it is; 409 when it already ended. */
export const handler = powertoolsHandler(logger, (event: APIGatewayProxyEvent) =>
  answer(event, logger, () => cancelQueryApi(event.pathParameters?.queryId, callerOf(event), deps())),
);
