import { admissionPolicy } from '../../../functions/core/admission-policy';
import type { QueryRecord } from '../../../functions/core/query-record';
import { startQuery } from '../../../functions/core/start-query';
import { DEFAULT_CONFIG, parseConfig, type WlmConfig } from '../../../lib/config';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import {
  type AthenaForStepFunctions,
  type ExecutionDescription,
  executionStarterOf,
  LocalStepFunctions,
  RunQueryRunner,
} from '../../../local/stepfunctions';
import type { Database } from '../../../local/store/database';
import { LocalLedger } from '../../../local/store/local-ledger';
import { LocalMetrics } from '../../../local/store/local-metrics';
import { LOCAL_QUEUES, LOCAL_TABLE_SCHEMAS } from '../../../local/store/local-names';
import { LocalSlotStore } from '../../../local/store/local-slot-store';
import { SqliteQueue } from '../../../local/store/sqlite-queue';
import { tempDatabase } from '../store/temp-db';

/** The default config with a short throttling retry (3 tries after the first). */
export const TEST_CONFIG: WlmConfig = parseConfig({
  ...DEFAULT_CONFIG,
  throttleRetry: { intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 5, maxAttempts: 3 },
});

/** The local runtime's durable parts and a LocalStepFunctions on them, running the real ASL. */
export async function localRuntime(
  athenaOrFactory:
    | AthenaForStepFunctions
    | ((dataDir: string, config: WlmConfig) => Promise<AthenaForStepFunctions>),
  options: { config?: WlmConfig } = {},
) {
  const store = tempDatabase();
  const config = options.config ?? TEST_CONFIG;
  const closedExecutions: ExecutionDescription[] = [];
  let athena =
    typeof athenaOrFactory === 'function' ? await athenaOrFactory(store.dir, config) : athenaOrFactory;

  const open = (db: Database) => {
    const dynamodb = new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS);
    const queues = Object.fromEntries(
      Object.values(LOCAL_QUEUES).map((name) => [name, new SqliteQueue(db, { name })]),
    ) as Record<(typeof LOCAL_QUEUES)[keyof typeof LOCAL_QUEUES], SqliteQueue>;
    const metrics = new LocalMetrics(db);
    const runner = new RunQueryRunner({
      config,
      services: { athena, dynamodb, queues, metrics },
      retryIntervalOverrides: 0,
    });
    const sfn = LocalStepFunctions.open({
      db,
      runner,
      onExecutionClosed: (e) => void closedExecutions.push(e),
    });
    return {
      db,
      dynamodb,
      queues,
      metrics,
      runner,
      sfn,
      ledger: new LocalLedger(dynamodb),
      slots: new LocalSlotStore(dynamodb),
    };
  };

  let parts = open(store.db);
  return {
    config,
    dir: store.dir,
    closedExecutions,
    get parts() {
      return parts;
    },
    /** Submits a query through the core starter (ledger record, slot, execution); returns its execution ARN. */
    async submit(queryId: string, options: { query?: string; workgroup?: string } = {}): Promise<string> {
      const message = {
        workgroup: options.workgroup ?? 'fast',
        queryId,
        attempt: 1,
        submittedAt: Date.now(),
        body: { query: options.query ?? 'SELECT 1' },
      };
      const outcome = await startQuery(JSON.stringify(message), 1, {
        config,
        ledger: parts.ledger,
        slots: parts.slots,
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
    policy() {
      return admissionPolicy(config);
    },
    /**
     * Stops the service as a crash would, then opens everything again on the same database file
     * (with `reopenAthena`, Athena too: it is closed before and opened after).
     */
    async restart(reopenAthena?: {
      close: () => Promise<void>;
      open: () => Promise<AthenaForStepFunctions>;
    }) {
      await parts.sfn.close();
      if (reopenAthena) {
        await reopenAthena.close();
        athena = await reopenAthena.open();
      }
      parts = open(store.reopen());
      return parts;
    },
    async close() {
      await parts.sfn.close();
      store.close();
    },
  };
}
