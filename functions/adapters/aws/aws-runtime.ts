import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WlmConfig } from '../../../contracts/config';
import { ENV } from '../../../contracts/env';
import { METRICS_SERVICE } from '../../../contracts/metrics';
import type { Clock } from '../../core/ports';
import { DynamoDbDispatchStore } from './dynamodb-dispatch-store';
import { DynamoDbLedger } from './dynamodb-ledger';
import { configFromEnv, requireEnv } from './environment';
import { SqsWake } from './sqs-wake';

/** The handlers' clock. */
export const systemClock: Clock = () => new Date();

/** A Powertools logger named for the function's role. */
export function lambdaLogger(role: string): Logger {
  return new Logger({ serviceName: METRICS_SERVICE, persistentKeys: { role } });
}

/** Lazily built per container: handlers read the environment on their first call, not at import. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

export function ledgerFromEnv(
  client: DynamoDBDocumentClient,
  config: WlmConfig = configFromEnv(),
): DynamoDbLedger {
  return new DynamoDbLedger(client, {
    tableName: requireEnv(ENV.ledgerTable),
    classes: Object.keys(config.classes),
  });
}

export function dispatchStoreFromEnv(client: DynamoDBDocumentClient): DynamoDbDispatchStore {
  return new DynamoDbDispatchStore(client, requireEnv(ENV.dispatchTable));
}

export function wakeFromEnv(client: SQSClient): SqsWake {
  return new SqsWake(client, requireEnv(ENV.wakeQueueUrl));
}
