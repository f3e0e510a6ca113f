import { DEFAULT_CONFIG, parseConfig, type WlmConfig } from '../../../contracts/config';
import { DynamoDbDispatchStore } from '../../../functions/adapters/aws/dynamodb-dispatch-store';
import { DynamoDbLedger } from '../../../functions/adapters/aws/dynamodb-ledger';
import type { QueryRecord } from '../../../functions/core/query-record';
import { reconcileEndedExecution } from '../../../functions/core/reconcile-slots';
import { startQuery } from '../../../functions/core/start-query';
import { StartRate } from '../../../functions/core/start-rate';
import { DispatcherWorker, localWake } from '../../../local/dispatcher-worker';
import { LocalDocumentClient } from '../../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { LOCAL_DEFAULT_QUOTA } from '../../../local/runtime';
import {
  type AthenaForStepFunctions,
  type ExecutionDescription,
  executionControlOf,
  executionStarterOf,
  LocalStepFunctions,
  RunQueryRunner,
} from '../../../local/stepfunctions';
import { LocalTaskTokens } from '../../../local/stepfunctions/local-task-tokens';
import type { Database } from '../../../local/store/database';
import { LocalMetrics } from '../../../local/store/local-metrics';
import { LOCAL_QUEUES, LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../../local/store/local-names';
import { SqliteQueue } from '../../../local/store/sqlite-queue';
import { tempDatabase } from '../store/temp-db';

/** The default classes on a fixed quota of 20 (18 slots), with a short throttling retry (3 tries after the first). */
export const TEST_CONFIG: WlmConfig = parseConfig({
  ...DEFAULT_CONFIG,
  quota: { activeDmlQueries: 20, headroom: 2, alarmAtPercent: 80 },
  throttleRetry: { intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 5, maxAttempts: 3 },
});

/** Waits until `done` holds, checking every few milliseconds (a test's wait, bounded by jest's timeout). */
export async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The local runtime's durable parts on one SQLite file, wired as local/runtime.ts wires them, with a
 * test's Athena: LocalStepFunctions running the real ASL, the dispatcher (the real core over the
 * DynamoDB dispatch store on the local DynamoDB) woken by its queue and completing task tokens, and
 * the local execution-status rule (reconcileEndedExecution).
 */
export async function localRuntime(
  athenaOrFactory:
    | AthenaForStepFunctions
    | ((dataDir: string, config: WlmConfig) => Promise<AthenaForStepFunctions>),
  options: { config?: WlmConfig; injectedFault?: (state: string) => Error | undefined } = {},
) {
  const store = tempDatabase();
  const config = options.config ?? TEST_CONFIG;
  const closedExecutions: ExecutionDescription[] = [];
  let athena =
    typeof athenaOrFactory === 'function' ? await athenaOrFactory(store.dir, config) : athenaOrFactory;

  const open = (db: Database) => {
    const clock = () => new Date();
    const dynamodb = new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS);
    const queues = Object.fromEntries(
      Object.values(LOCAL_QUEUES).map((name) => [name, new SqliteQueue(db, { name })]),
    ) as Record<(typeof LOCAL_QUEUES)[keyof typeof LOCAL_QUEUES], SqliteQueue>;
    const wakeQueue = queues[LOCAL_QUEUES.wake];
    const wake = localWake(wakeQueue);
    const metrics = new LocalMetrics(db);
    const tokens = new LocalTaskTokens();
    const client = new LocalDocumentClient(dynamodb).asDocumentClient();
    const ledger = new DynamoDbLedger(client, {
      tableName: LOCAL_TABLES.ledger,
      classes: Object.keys(config.classes),
    });
    const dispatch = new DynamoDbDispatchStore(client, LOCAL_TABLES.dispatch);
    const runner = new RunQueryRunner({
      config,
      services: {
        athena,
        dynamodb,
        queues,
        metrics,
        tokens,
        ...(options.injectedFault ? { injectedFault: options.injectedFault } : {}),
      },
      retryIntervalOverrides: 0,
    });
    const sfn = LocalStepFunctions.open({
      db,
      runner,
      onExecutionClosed: async (e) => {
        closedExecutions.push(e);
        if (e.status !== 'SUCCEEDED') await reconcileEndedExecution(e, { ledger, wake, clock });
      },
    });
    const executions = executionControlOf(sfn);
    const starter = executionStarterOf(sfn);
    const dispatcher = new DispatcherWorker({
      queue: wakeQueue,
      deps: {
        config,
        store: dispatch,
        tokens,
        ledger,
        executions: {
          start: (name, input) => starter.start(name, input),
          stop: (arn, cause, error) => executions.stop(arn, cause, error),
        },
        metrics,
        clock,
        rate: new StartRate(config.admission.startsPerSecond),
        // As the local runtime does for a config that reads the quota from Service Quotas.
        liveQuota: async () => LOCAL_DEFAULT_QUOTA,
      },
    });
    dispatcher.start();
    return { db, dynamodb, queues, metrics, runner, sfn, tokens, ledger, dispatch, dispatcher, wake };
  };

  let parts = open(store.db);
  const shutDown = async () => {
    await parts.dispatcher.stop();
    await parts.sfn.close();
  };
  return {
    config,
    dir: store.dir,
    closedExecutions,
    get parts() {
      return parts;
    },
    /** Submits a query through the core starter (ledger record, execution); returns its execution ARN. */
    async submit(
      queryId: string,
      options: { query?: string; className?: string; submittedAt?: number } = {},
    ): Promise<string> {
      const message = {
        className: options.className ?? 'fast',
        queryId,
        attempt: 1,
        submittedAt: options.submittedAt ?? Date.now(),
        body: { query: options.query ?? 'SELECT 1' },
      };
      const outcome = await startQuery(JSON.stringify(message), 1, {
        config,
        ledger: parts.ledger,
        executions: executionStarterOf(parts.sfn),
        metrics: parts.metrics,
        clock: () => new Date(),
      });
      if (outcome.kind !== 'started')
        throw new Error(`the starter did not start ${queryId}: ${JSON.stringify(outcome)}`);
      return outcome.executionArn;
    },
    async finished(executionArn: string): Promise<ExecutionDescription> {
      return parts.sfn.waitForExecution(executionArn);
    },
    async record(queryId: string): Promise<QueryRecord> {
      const record = await parts.ledger.get(queryId);
      if (!record) throw new Error(`no ledger record for ${queryId}`);
      return record;
    },
    /** Waits until the dispatcher has applied every wake event sent so far. */
    async dispatched(): Promise<void> {
      await until(
        'the dispatcher to apply its wake events',
        () => parts.queues[LOCAL_QUEUES.wake].depth() === 0,
      );
    },
    /** The slots held once the dispatcher applied every wake event sent so far. */
    async holders() {
      await this.dispatched();
      return parts.dispatch.holders();
    },
    /**
     * Stops the service as a crash would, then opens everything again on the same database file
     * (with `reopenAthena`, Athena too: it is closed before and opened after).
     */
    async restart(reopenAthena?: {
      close: () => Promise<void>;
      open: () => Promise<AthenaForStepFunctions>;
    }) {
      await shutDown();
      if (reopenAthena) {
        await reopenAthena.close();
        athena = await reopenAthena.open();
      }
      parts = open(store.reopen());
      return parts;
    },
    async close() {
      await shutDown();
      store.close();
    },
  };
}
