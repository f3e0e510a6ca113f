import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadConfig, type WlmConfig } from '../contracts/config';
import { DynamoDbLedger } from '../functions/adapters/aws/dynamodb-ledger';
import { s3UriToLocalPath } from './athena/s3-paths';
import type { BackendData, BackendOptions, FromBackend, ToBackend } from './backend-messages';
import { ensureDataDir } from './data-dir';
import { LocalDocumentClient } from './dynamodb/local-document-client';
import { LocalDynamoDb } from './dynamodb/local-dynamodb';
import { addSubmissionRoutes } from './http/api-routes';
import { type RouteRequest, type RouteResponse, Router } from './http/router';
import { resultsCsvRoute } from './results-csv-route';
import { listenFor } from './runtime';
import { type Database, openDatabase } from './store/database';
import { LOCAL_QUEUES, LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from './store/local-names';
import { LocalSubmissions } from './store/local-submissions';
import { SqliteQueue } from './store/sqlite-queue';

export interface ThreadedRuntimeOptions extends BackendOptions {
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Called when the back end thread stops by itself (an error nothing caught): nothing runs any more. */
  readonly onBackendExit?: (error: Error) => void;
}

export interface ThreadedRuntime {
  readonly url: string;
  readonly config: WlmConfig;
  close(): Promise<void>;
}

const BACKEND_GONE: RouteResponse = {
  statusCode: 503,
  body: { message: 'The athena-wlm back end has stopped; restart athena-wlm (queued queries resume).' },
};

/**
 * `npm start`'s runtime: the local runtime in two threads, split where AWS splits it. The edge (this
 * thread) holds the HTTP server and answers submissions itself, as API Gateway's direct SQS integration
 * does: it validates, writes the record and the queue message in one SQLite transaction (shared with
 * the submissions of the same moment) and answers 202. Result downloads are read from disk here too,
 * as S3 serves a presigned link. Every other request goes to the back end, a worker thread that runs
 * the whole local runtime at a lower priority (local/backend-thread.ts), as API Gateway hands other
 * routes to Lambda. So intake never waits behind the starter, the dispatcher, the executions or their
 * garbage collection; the queue between them is the same durable SQLite queue as in one thread.
 */
export async function startThreadedRuntime(options: ThreadedRuntimeOptions): Promise<ThreadedRuntime> {
  const { log, onBackendExit, ...backendOptions } = options;
  const config = options.config ?? loadConfig();
  // The port first, as startLocalRuntime does: a start that cannot serve touches nothing.
  const server = await listenFor(options);
  let db: Database | undefined;
  let backend: BackendThread | undefined;
  try {
    // Its lock waits are timers of the group commit, not sleeps of this thread; and checkpoints,
    // which fsync the database file, are left to the back end's connection, which commits whenever
    // there is intake to take in (SQLite checkpoints on the commit that finds the WAL past 1,000 pages).
    ensureDataDir(options.dataDir);
    db = openDatabase(options.dataDir, { busyTimeoutMs: 0 });
    db.pragma('wal_autocheckpoint = 0');
    const documents = new LocalDocumentClient(new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS));
    const ledger = new DynamoDbLedger(documents.asDocumentClient(), {
      tableName: LOCAL_TABLES.ledger,
      classes: Object.keys(config.classes),
    });
    const queries = new SqliteQueue(db, { name: LOCAL_QUEUES.queries });
    backend = await BackendThread.start(
      { options: { ...backendOptions, config }, url: server.url, port: server.port, log: !!log },
      { log, onBackendExit },
    );
    const thread = backend;
    const router = addSubmissionRoutes(new Router(), {
      config,
      clock: () => new Date(),
      submissions: new LocalSubmissions({
        db,
        client: documents,
        ledger,
        queries,
        onAdmitted: () => thread.submitted(),
      }),
      baseUrl: () => server.url,
    }).add(
      'GET',
      '/queries/{queryId}/results.csv',
      resultsCsvRoute({ config, ledger, localPath: (uri) => s3UriToLocalPath(thread.s3Root, uri) }),
    );
    const here = new Set(router.list().map(routeKey));
    for (const route of thread.routes) {
      if (!here.has(routeKey(route)))
        router.add(route.method, route.template, (request) => thread.forward(request));
    }
    server.route(router);
    const database = db;
    return {
      url: server.url,
      config,
      async close() {
        await server.close();
        await thread.close();
        database.close();
      },
    };
  } catch (error) {
    await backend?.close();
    db?.close();
    await server.close();
    throw error;
  }
}

const routeKey = (route: { readonly method: string; readonly template: string }) =>
  `${route.method} ${route.template}`;

/** The back end worker thread, seen from the edge: requests forwarded to it, pokes, its end. */
class BackendThread {
  private readonly pending = new Map<number, (response: RouteResponse) => void>();
  private nextId = 1;
  private pokeQueued = false;
  private closing = false;
  private exited = false;
  private readonly gone: Promise<void>;
  private closedNow?: () => void;

  private constructor(
    private readonly worker: Worker,
    readonly routes: readonly { readonly method: string; readonly template: string }[],
    readonly s3Root: string,
    options: Pick<ThreadedRuntimeOptions, 'log' | 'onBackendExit'>,
  ) {
    worker.on('message', (message: FromBackend) => {
      if (message.type === 'response') {
        this.pending.get(message.id)?.(message.response);
        this.pending.delete(message.id);
      } else if (message.type === 'log') options.log?.(message.message, message.fields);
      else if (message.type === 'closed') this.closedNow?.();
    });
    this.gone = new Promise((resolve) => {
      const onGone = (error?: Error) => {
        if (this.exited) return;
        this.exited = true;
        for (const answer of this.pending.values()) answer(BACKEND_GONE);
        this.pending.clear();
        this.closedNow?.();
        if (!this.closing) options.onBackendExit?.(error ?? new Error('the back end thread exited'));
        resolve();
      };
      worker.on('error', onGone);
      worker.on('exit', () => onGone());
    });
  }

  /** Starts the worker and waits until its runtime serves (or failed to start, with its reason). */
  static start(
    data: BackendData,
    options: Pick<ThreadedRuntimeOptions, 'log' | 'onBackendExit'>,
  ): Promise<BackendThread> {
    const entry = join(__dirname, `backend-thread${extname(__filename)}`);
    // This process's environment as this module sees it (a test runner may give modules their own).
    const settings = { workerData: data, env: process.env };
    // Run from the TypeScript sources (npm start, tests), the worker needs tsx's loader too.
    const worker = entry.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { ...settings, eval: true })
      : new Worker(entry, settings);
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromBackend) => {
        if (message.type === 'log') options.log?.(message.message, message.fields);
        if (message.type === 'ready') {
          settle();
          resolve(new BackendThread(worker, message.routes, message.s3Root, options));
        } else if (message.type === 'failed') {
          settle();
          // The start's own error, by name, so that `npm start` explains it as it would in one thread.
          const error = new Error(message.message);
          error.name = message.name;
          void worker.terminate().finally(() => reject(error));
        }
      };
      const onExit = (error?: Error) => {
        settle();
        reject(error ?? new Error('the back end thread exited before it was ready'));
      };
      const settle = () => {
        worker.off('message', onMessage);
        worker.off('error', onExit);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onExit);
      worker.on('exit', onExit);
    });
  }

  forward(request: RouteRequest): Promise<RouteResponse> {
    if (this.exited) return Promise.resolve(BACKEND_GONE);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post({ type: 'request', id, request });
    });
  }

  /** Tells the starter that submissions are queued: one message for all those of this turn. */
  submitted(): void {
    if (this.pokeQueued || this.exited) return;
    this.pokeQueued = true;
    setImmediate(() => {
      this.pokeQueued = false;
      if (!this.exited) this.post({ type: 'submitted' });
    });
  }

  /** Closes the back end's runtime (executions left running resume on the next start) and ends the thread. */
  async close(): Promise<void> {
    if (this.closing) return this.gone;
    this.closing = true;
    if (!this.exited) {
      const closed = new Promise<void>((resolve) => {
        this.closedNow = resolve;
      });
      this.post({ type: 'close' });
      await closed;
      await this.worker.terminate();
    }
    await this.gone;
  }

  private post(message: ToBackend): void {
    this.worker.postMessage(message);
  }
}
