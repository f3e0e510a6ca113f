import './polyfills';
import { join } from 'node:path';
import { loadConfig, type WlmConfig, workgroupNameOf } from '../contracts/config';
import { DynamoDbDispatchStore } from '../functions/adapters/aws/dynamodb-dispatch-store';
import { DynamoDbLedger } from '../functions/adapters/aws/dynamodb-ledger';
import type { DispatcherDeps } from '../functions/core/dispatcher';
import { openApiDocument } from '../functions/core/openapi';
import type { Clock } from '../functions/core/ports';
import { reconcileEndedExecution, reconcileSlots } from '../functions/core/reconcile-slots';
import { redriveDeferred } from '../functions/core/redrive';
import type { StartQueryDeps } from '../functions/core/start-query';
import { StartRate } from '../functions/core/start-rate';
import { ensureSampleData, LocalAthena, type SampleDataOptions } from './athena';
import { consoleDepsOf } from './console/console-deps';
import { addConsoleRoutes } from './console/console-routes';
import { ensureDataDir } from './data-dir';
import { DispatcherWorker, localWake } from './dispatcher-worker';
import { LocalDocumentClient } from './dynamodb/local-document-client';
import { LocalDynamoDb } from './dynamodb/local-dynamodb';
import { addApiRoutes } from './http/api-routes';
import { adminsOnly } from './http/local-caller';
import { hostGuard } from './http/request-guard';
import { Router } from './http/router';
import { type HttpTimeouts, type ListeningServer, listen } from './http/server';
import { LocalResultsReader } from './local-results-reader';
import { PeriodicTask } from './periodic-task';
import { resultsCsvRoute } from './results-csv-route';
import { StarterWorker } from './starter-worker';
import {
  executionControlOf,
  executionStarterOf,
  LocalStepFunctions,
  type RetryIntervalOverrides,
  RunQueryRunner,
} from './stepfunctions';
import { LocalTaskTokens } from './stepfunctions/local-task-tokens';
import { openDatabase } from './store/database';
import { LocalMetrics } from './store/local-metrics';
import { LOCAL_QUEUES, LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from './store/local-names';
import { LocalSubmissions } from './store/local-submissions';
import { messageQueueOf, SqliteQueue } from './store/sqlite-queue';
import { taskFault, testFaults } from './test-faults';

/** Where local Athena results go, per class: `s3://<bucket>/results/<class>/`, as on AWS. */
export const LOCAL_RESULTS_BUCKET = 'athena-wlm-local-results';
/** The quota the local Athena enforces when the config says to read it from Service Quotas. */
export const LOCAL_DEFAULT_QUOTA = 20;

export interface LocalRuntimeOptions {
  /** Where everything persists: SQLite (queues, ledger, slots, executions), DuckDB, results, sample data. */
  readonly dataDir: string;
  /** @default 8787; 0 picks a free port */
  readonly port?: number;
  /** @default 127.0.0.1 (loopback only: the local API has no authentication) */
  readonly host?: string;
  /** @default the case-study defaults */
  readonly config?: WlmConfig;
  /** Sample tables (`alb_logs`, `sensor_readings`) made on first start. @default the full sample */
  readonly sampleData?: false | SampleDataOptions;
  /** Artificial Athena queue and planning time, so quota effects show with small data. @default none */
  readonly latency?: { readonly queueMs: number; readonly planningMs: number };
  /** Pauses before the state machine's retries, in ms. @default the real backoff with full jitter */
  readonly retryPauseMs?: number | RetryIntervalOverrides;
  /** @default the config's redrive.everyMinutes */
  readonly redriveEveryMs?: number;
  /** How often the slot reconciler runs. @default one minute, as on AWS */
  readonly reconcileEveryMs?: number;
  /** Visibility timeout of a received query message, in seconds: how soon a crash's messages come back. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * The account quota the local Athena enforces, to simulate traffic outside athena-wlm taking part of it
   * (admission still plans with the config's `quota.activeDmlQueries`).
   * @default the config's quota.activeDmlQueries, or LOCAL_DEFAULT_QUOTA when it says 'service-quotas'
   */
  readonly athenaQuota?: number;
  /**
   * Host names the API answers to besides the loopback names (and the `host` it listens on): a request
   * naming another Host is refused, so that a web page cannot reach the API by DNS rebinding.
   * @default none
   */
  readonly allowedHosts?: readonly string[];
  /** Origins whose pages may call the API besides its own console. @default none */
  readonly allowedOrigins?: readonly string[];
  /** Header, request and idle timeouts of the HTTP server. @default DEFAULT_TIMEOUTS (10 s, 30 s, 60 s) */
  readonly httpTimeouts?: HttpTimeouts;
  /**
   * A server already listening, to serve on instead of listening on `host:port` (the threaded runtime
   * hands its back end the edge thread's server: local/backend-thread.ts).
   * @default listens on `host:port` with the request guard and timeouts above
   */
  readonly server?: ListeningServer;
  readonly clock?: Clock;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** The running product, with its parts exposed for tests and the console. */
export interface LocalRuntime {
  readonly url: string;
  readonly config: WlmConfig;
  /** The ledger: the DynamoDB adapter of AWS, on the local DynamoDB. */
  readonly ledger: DynamoDbLedger;
  /** The dispatcher's slots and lines: the DynamoDB adapter of AWS, on the local DynamoDB. */
  readonly dispatch: DynamoDbDispatchStore;
  readonly dispatcher: DispatcherWorker;
  readonly starter: StarterWorker;
  readonly tokens: LocalTaskTokens;
  readonly stepFunctions: LocalStepFunctions;
  readonly athena: LocalAthena;
  readonly metrics: LocalMetrics;
  readonly queues: {
    readonly queries: SqliteQueue;
    readonly deferred: SqliteQueue;
    readonly failed: SqliteQueue;
    readonly wake: SqliteQueue;
  };
  /** Runs the redrive schedule's task now. */
  redriveNow(): Promise<void>;
  /** Runs the slot reconciler now. */
  reconcileNow(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts athena-wlm on this machine: the same API, the same `run-query.asl.json` and the same core as on
 * AWS, with SQLite for SQS and DynamoDB, aws-local-stepfunctions for Step Functions and DuckDB for Athena.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const config = options.config ?? loadConfig();
  // The port first: a start that cannot serve fails before it opens the data dir, so it never runs
  // again what a previous process left running (executions, Athena queries) only to stop at once.
  const server = options.server ?? (await listenFor(options));
  // What was opened so far, closed in reverse when the start fails midway.
  const opened: (() => unknown)[] = [() => server.close()];
  try {
    return await openRuntime(options, config, server, opened);
  } catch (error) {
    for (const close of opened.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
    throw error;
  }
}

/** Listens on the runtime's host and port with its request guard (Host, Origin) and timeouts. */
export function listenFor(
  options: Pick<
    LocalRuntimeOptions,
    'host' | 'port' | 'allowedHosts' | 'allowedOrigins' | 'httpTimeouts' | 'log'
  >,
): Promise<ListeningServer> {
  const log = options.log ?? (() => {});
  const listenHost = options.host ?? '127.0.0.1';
  return listen({
    host: listenHost,
    port: options.port ?? 8787,
    guard: hostGuard({
      // The address it listens on is a name it answers to, unless that is every address.
      allowedHosts: [...(options.allowedHosts ?? []), ...(isWildcard(listenHost) ? [] : [listenHost])],
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    }),
    ...(options.httpTimeouts ? { timeouts: options.httpTimeouts } : {}),
    onError: (error) => log('request failed', { error: (error as Error).stack }),
  });
}

async function openRuntime(
  options: LocalRuntimeOptions,
  config: WlmConfig,
  server: ListeningServer,
  opened: (() => unknown)[],
): Promise<LocalRuntime> {
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? (() => {});
  ensureDataDir(options.dataDir);

  const db = openDatabase(options.dataDir);
  opened.push(() => db.close());
  const dynamodb = new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS);
  // The adapters that run on AWS, over the local DynamoDB.
  const documents = new LocalDocumentClient(dynamodb);
  const ledger = new DynamoDbLedger(documents.asDocumentClient(), {
    tableName: LOCAL_TABLES.ledger,
    classes: Object.keys(config.classes),
    clock,
  });
  const dispatch = new DynamoDbDispatchStore(documents.asDocumentClient(), LOCAL_TABLES.dispatch);
  const tokens = new LocalTaskTokens();
  const metrics = new LocalMetrics(db, { clock });
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const failed = new SqliteQueue(db, { name: LOCAL_QUEUES.failed, clock });
  const queries = new SqliteQueue(db, {
    name: LOCAL_QUEUES.queries,
    clock,
    visibilityTimeoutSeconds: visibility,
    redrivePolicy: { deadLetterQueue: LOCAL_QUEUES.failed, maxReceiveCount: config.admission.maxReceives },
  });
  const wakeQueue = new SqliteQueue(db, {
    name: LOCAL_QUEUES.wake,
    clock,
    visibilityTimeoutSeconds: visibility,
  });
  const wake = localWake(wakeQueue);
  const deferred = new SqliteQueue(db, {
    name: LOCAL_QUEUES.deferred,
    clock,
    redrivePolicy: { deadLetterQueue: LOCAL_QUEUES.failed, maxReceiveCount: 5 },
  });

  const quota =
    options.athenaQuota ??
    (typeof config.quota.activeDmlQueries === 'number' ? config.quota.activeDmlQueries : LOCAL_DEFAULT_QUOTA);
  const athena = await LocalAthena.open({
    dataDir: join(options.dataDir, 'athena'),
    activeQueryQuota: quota,
    workgroups: Object.fromEntries(
      Object.entries(config.classes).map(([name, c]) => [
        workgroupNameOf(config, name),
        {
          outputLocation: `s3://${LOCAL_RESULTS_BUCKET}/results/${name}/`,
          ...(c.bytesScannedCutoffPerQuery
            ? { bytesScannedCutoffPerQuery: c.bytesScannedCutoffPerQuery }
            : {}),
        },
      ]),
    ),
    ...(options.latency ? { latency: options.latency } : {}),
    queryMemoryLimitMb: config.localEngine.queryMemoryMb,
    engineThreads: config.localEngine.queryThreads,
  });
  opened.push(() => athena.close());

  const runner = new RunQueryRunner({
    config,
    services: {
      athena,
      dynamodb,
      queues: {
        [queries.name]: queries,
        [deferred.name]: deferred,
        [failed.name]: failed,
        [wakeQueue.name]: wakeQueue,
      },
      metrics,
      tokens,
      injectedFault: taskFault(testFaults()),
    },
    ...(options.retryPauseMs !== undefined ? { retryIntervalOverrides: options.retryPauseMs } : {}),
  });
  // The local twin of the Step Functions status-change rule: an execution that ended without recording
  // its result (aborted, timed out, failed outside the Catch) gets its slot freed and its record closed.
  // Made with `new`: what a previous process left running resumes once the routes are served.
  const stepFunctions = new LocalStepFunctions({
    db,
    runner,
    clock,
    onExecutionClosed: async (execution) => {
      if (execution.status === 'SUCCEEDED') return;
      await reconcileEndedExecution(execution, { ledger, wake, clock });
    },
  });
  opened.push(() => stepFunctions.close());
  const executions = executionControlOf(stepFunctions);
  const liveQuota = async () => quota;

  const executionStarter = executionStarterOf(stepFunctions);
  const starterDeps: StartQueryDeps = { config, ledger, executions: executionStarter, metrics, clock };
  const starter = new StarterWorker({ queries, failed, deps: starterDeps, log });
  const dispatcherDeps: DispatcherDeps = {
    config,
    store: dispatch,
    tokens,
    ledger,
    executions: {
      start: (name, input) => executionStarter.start(name, input),
      stop: (arn, cause, error) => executions.stop(arn, cause, error),
    },
    metrics,
    clock,
    rate: new StartRate(config.admission.startsPerSecond),
    liveQuota,
  };
  const dispatcher = new DispatcherWorker({ queue: wakeQueue, deps: dispatcherDeps, log });

  const redrive = new PeriodicTask(
    async () => {
      const summary = await redriveDeferred({
        config,
        ledger,
        metrics,
        clock,
        deferred: messageQueueOf(deferred),
        queries: messageQueueOf(queries),
        failed: messageQueueOf(failed),
      });
      if (summary.redriven > 0) starter.poke();
    },
    options.redriveEveryMs ?? config.redrive.everyMinutes * 60_000,
    (error) => log('redrive failed', { error: (error as Error).message }),
  );
  const reconciler = new PeriodicTask(
    () => reconcileSlots({ config, ledger, slots: dispatch, wake, executions, clock }),
    options.reconcileEveryMs ?? 60_000,
    (error) => log('slot reconciler failed', { error: (error as Error).message }),
  );

  const baseUrl = () => server.url;
  const results = new LocalResultsReader(athena, baseUrl);
  const router = addApiRoutes(new Router(), {
    config,
    clock,
    ledger,
    slots: dispatch,
    wake,
    executions,
    results,
    baseUrl,
    liveQuota,
    submissions: new LocalSubmissions({
      db,
      client: documents,
      ledger,
      queries,
      onAdmitted: () => starter.poke(),
    }),
  })
    .add('GET', '/openapi.json', () => ({
      statusCode: 200,
      body: openApiDocument(config, { serverUrl: baseUrl() }),
    }))
    // The template is written out: resultsCsvPath() URL-encodes its argument, which turned `{queryId}`
    // into a literal path that no request matched.
    .add(
      'GET',
      '/queries/{queryId}/results.csv',
      resultsCsvRoute({ config, ledger, localPath: (uri) => athena.localPath(uri) }),
    );

  addConsoleRoutes(router, consoleDepsOf({ stepFunctions, metrics, athena, config, clock, quota }));
  router.protect('/console/api/', adminsOnly(config));

  server.route(router);
  stepFunctions.resumeInterrupted();
  // Sample data comes once the port is ours: a port in use fails in seconds, not after a first start's
  // generation. Submissions meanwhile wait in the queue, as the starter starts only after the tables exist.
  if (options.sampleData !== false) await ensureSampleData(athena, options.sampleData ?? {});
  dispatcher.start();
  starter.start();
  redrive.start();
  reconciler.start();
  const url = server.url;

  return {
    url,
    config,
    ledger,
    dispatch,
    dispatcher,
    starter,
    tokens,
    stepFunctions,
    athena,
    metrics,
    queues: { queries, deferred, failed, wake: wakeQueue },
    redriveNow: () => redrive.runNow(),
    reconcileNow: () => reconciler.runNow(),
    async close() {
      await server.close();
      await Promise.all([starter.stop(), redrive.stop(), reconciler.stop()]);
      await dispatcher.stop();
      await stepFunctions.close();
      await athena.close();
      db.close();
    },
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
