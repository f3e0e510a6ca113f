import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { answer } from './adapters/aws/api-gateway';
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
import { ServiceQuotaReader } from './adapters/aws/service-quota';
import { listWorkgroupsApi } from './core/query-api';

const ddb = documentClient(traced(new DynamoDBClient({})));
const serviceQuotas = traced(new ServiceQuotasClient({}));
const logger = lambdaLogger('list-workgroups');
const deps = once(() => {
  const config = configFromEnv();
  const quota = new ServiceQuotaReader(serviceQuotas, systemClock);
  return {
    config,
    ledger: ledgerFromEnv(ddb, config),
    slots: dispatchStoreFromEnv(ddb),
    clock: systemClock,
    liveQuota: () => quota.activeDmlQueries(),
  };
});

/** `GET /workgroups`: each class with its limits, slots in use, and queued and waiting counts. */
export const handler = powertoolsHandler(logger, (event: APIGatewayProxyEvent) =>
  answer(event, logger, () => listWorkgroupsApi(deps())),
);
