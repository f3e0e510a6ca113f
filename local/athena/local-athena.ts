/**
 * A local Amazon Athena on DuckDB: the Athena API (StartQueryExecution, GetQueryExecution,
 * StopQueryExecution, GetQueryResults) with Athena's states, quotas, idempotency, statistics,
 * errors and result files, for running athena-wlm with no AWS account.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueryExecution } from '@aws-sdk/client-athena';
import type { DuckDBConnection } from '@duckdb/node-api';
import { AthenaEngine } from './engine';
import { AthenaServiceError, invalidRequest, QueryFailedError, tooManyRequests, userFailure } from './errors';
import { type ExecutionRecord, ExecutionStore, isTerminal, type QueryState } from './execution-store';
import { BytesLimitExceededError, runStatement, toFailure } from './executor';
import { readResultPage } from './result-files';
import { asPrefix, parseS3Uri, s3UriToLocalPath } from './s3-paths';
import type { Sandbox } from './sandbox';
import { classifyStatement, parseStatement, type StatementType } from './statements';
import { initTranspiler } from './trino-to-duckdb';

/** Settings of one workgroup. */
export interface LocalWorkGroup {
  /** Queries that scan more are CANCELLED, as with Athena's BytesScannedCutoffPerQuery. @default no limit */
  readonly bytesScannedCutoffPerQuery?: number;
  /** Where results go (s3://bucket/prefix/). @default s3://athena-wlm-local-results/<workgroup>/ */
  readonly outputLocation?: string;
}

export interface LocalAthenaOptions {
  /** Everything persists under here: the DuckDB file, the executions table, results, sample data. */
  readonly dataDir: string;
  /** The account's active DML query quota: QUEUED + RUNNING DML queries; one more is TooManyRequestsException. */
  readonly activeQueryQuota: number;
  /** Workgroups by name. `primary` always exists, as in Athena. */
  readonly workgroups: Readonly<Record<string, LocalWorkGroup>>;
  /** Artificial QUEUED and planning time, so that quota effects show with small data. @default 0 and 0 */
  readonly latency?: { readonly queueMs: number; readonly planningMs: number };
  /** The folder that s3://bucket/key maps to (`<s3Root>/bucket/key`). @default <dataDir>/s3 */
  readonly s3Root?: string;
  /** How many queries DuckDB runs at once; the others wait QUEUED. @default 4 */
  readonly engineConcurrency?: number;
  /** The account's active DDL query quota (DDL and utility statements count here, not in the DML one). @default 20 */
  readonly activeDdlQueryQuota?: number;
  /** DuckDB worker threads of one query. @default DuckDB's default (one per core) */
  readonly engineThreads?: number;
  /** Memory one query may use, in MiB (DuckDB's memory_limit of its sandbox). @default 2048 */
  readonly queryMemoryLimitMb?: number;
}

export interface StartQueryExecutionInput {
  QueryString: string;
  WorkGroup?: string;
  QueryExecutionContext?: { Database?: string; Catalog?: string };
  ClientRequestToken?: string;
  ExecutionParameters?: string[];
  /** Used when the workgroup has no output location (a workgroup's location wins, as when it is enforced). */
  ResultConfiguration?: { OutputLocation?: string };
}

export interface ResultRow {
  Data: { VarCharValue?: string }[];
}

export interface GetQueryResultsOutput {
  ResultSet: {
    Rows: ResultRow[];
    ResultSetMetadata: { ColumnInfo: import('./result-format').AthenaColumnInfo[] };
  };
  NextToken?: string;
  UpdateCount?: number;
}

const MAX_RESULTS = 1000;
const DEFAULT_QUERY_MEMORY_MB = 2048;
const MAX_QUERY_BYTES = 262_144;
const DEFAULT_RESULTS_BUCKET = 'athena-wlm-local-results';
const CANCELLED_BY_USER = 'Query cancelled by user';
const BYTES_LIMIT_REASON = 'Query cancelled! : Bytes scanned limit was exceeded';

interface ActiveExecution {
  readonly record: ExecutionRecord;
  readonly abort: AbortController;
  readonly finished: Promise<'finished' | 'closed'>;
  settle: (how: 'finished' | 'closed') => void;
  connection?: DuckDBConnection;
  cancelRequested: boolean;
  abandoned: boolean;
}

/** FIFO slots for the engine: a query holds one while RUNNING. */
class EngineSlots {
  private readonly waiting: { grant: () => void; signal: AbortSignal }[] = [];

  constructor(private free: number) {}

  acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolvePromise, reject) => {
      const waiter = { grant: () => resolvePromise(), signal };
      this.waiting.push(waiter);
      signal.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.free++;
  }
}

/** A local Athena. Open one per dataDir (DuckDB locks its file). */
export class LocalAthena {
  private readonly active = new Map<string, ActiveExecution>();
  private readonly runs = new Set<Promise<void>>();
  private readonly slots: EngineSlots;
  private closed = false;

  private constructor(
    private readonly options: LocalAthenaOptions,
    private readonly store: ExecutionStore,
    private readonly engine: AthenaEngine,
    readonly s3Root: string,
  ) {
    this.slots = new EngineSlots(Math.max(1, options.engineConcurrency ?? 4));
  }

  /** Opens the data folder and resumes the executions a previous process left QUEUED or RUNNING. */
  static async open(options: LocalAthenaOptions): Promise<LocalAthena> {
    if (!Number.isInteger(options.activeQueryQuota) || options.activeQueryQuota < 1) {
      throw new Error(`activeQueryQuota must be a positive integer, got ${options.activeQueryQuota}`);
    }
    for (const [name, settings] of Object.entries(options.workgroups)) {
      if (settings.outputLocation && !parseS3Uri(settings.outputLocation)) {
        throw new Error(
          `workgroups.${name}.outputLocation must be an s3://bucket/prefix/ URI, got ${settings.outputLocation}`,
        );
      }
    }
    await initTranspiler();
    const dataDir = resolve(options.dataDir);
    const s3Root = resolve(options.s3Root ?? join(dataDir, 's3'));
    mkdirSync(join(dataDir, 'tmp'), { recursive: true });
    mkdirSync(s3Root, { recursive: true });
    const store = new ExecutionStore(join(dataDir, 'executions.sqlite'));
    let engine: AthenaEngine;
    try {
      engine = await AthenaEngine.open({
        dataDir,
        s3Root,
        limits: {
          memoryLimitMb: options.queryMemoryLimitMb ?? DEFAULT_QUERY_MEMORY_MB,
          threads: options.engineThreads,
        },
        maxIdleSandboxes: Math.max(1, options.engineConcurrency ?? 4),
      });
    } catch (error) {
      store.close();
      throw error;
    }
    const athena = new LocalAthena(options, store, engine, s3Root);
    for (const record of store.unfinished()) {
      // Athena keeps running a query when its client dies; here the process died, so the query
      // runs again under the same id: one QueryExecutionId, never a duplicate execution.
      const resumed: ExecutionRecord = {
        ...record,
        state: 'QUEUED',
        runningAt: undefined,
        engineStartedAt: undefined,
        engineEndedAt: undefined,
        resumes: record.resumes + 1,
      };
      store.update(resumed);
      athena.schedule(resumed);
    }
    return athena;
  }

  /** StartQueryExecution: returns at once; the query runs in the background. */
  async startQueryExecution(input: StartQueryExecutionInput): Promise<{ QueryExecutionId: string }> {
    this.assertOpen();
    const query = input.QueryString;
    if (typeof query !== 'string' || query.trim() === '')
      throw invalidRequest('QueryString must not be empty');
    if (Buffer.byteLength(query) > MAX_QUERY_BYTES) {
      throw invalidRequest(`QueryString is longer than ${MAX_QUERY_BYTES} bytes`);
    }
    const token = input.ClientRequestToken;
    if (token !== undefined && (token.length < 32 || token.length > 128)) {
      throw invalidRequest(
        "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 128",
      );
    }
    const workGroup = input.WorkGroup ?? 'primary';
    const settings = this.workgroup(workGroup);
    if (token !== undefined) {
      const existing = this.store.byToken(token);
      if (existing) {
        const same =
          existing.query === query &&
          existing.workGroup === workGroup &&
          JSON.stringify(existing.executionParameters ?? []) ===
            JSON.stringify(input.ExecutionParameters ?? []);
        if (!same) throw invalidRequest('Idempotent parameters do not match');
        return { QueryExecutionId: existing.id };
      }
    }
    const { statementType, substatementType } = classifyStatement(query);
    const quotaClass = quotaClassOf(statementType);
    const quota =
      quotaClass === 'DML' ? this.options.activeQueryQuota : (this.options.activeDdlQueryQuota ?? 20);
    if (this.activeCount(quotaClass) >= quota) throw tooManyRequests();
    const outputLocation = asPrefix(
      settings.outputLocation ??
        input.ResultConfiguration?.OutputLocation ??
        `s3://${DEFAULT_RESULTS_BUCKET}/${workGroup}/`,
    );
    if (!parseS3Uri(outputLocation))
      throw invalidRequest(`OutputLocation ${outputLocation} is not an s3:// URI`);
    const id = randomUUID();
    const record: ExecutionRecord = {
      id,
      clientRequestToken: token,
      query,
      statementType,
      substatementType,
      workGroup,
      database: (input.QueryExecutionContext?.Database ?? 'default').toLowerCase(),
      catalog: input.QueryExecutionContext?.Catalog ?? 'AwsDataCatalog',
      executionParameters: input.ExecutionParameters,
      outputLocation,
      // Athena writes query results as CSV and DDL / utility output as text.
      resultUri: `${outputLocation}${id}${statementType === 'DML' || substatementType === 'EXPLAIN' ? '.csv' : '.txt'}`,
      state: 'QUEUED',
      submittedAt: Date.now(),
      dataScannedBytes: 0,
      resumes: 0,
    };
    this.store.insert(record);
    this.schedule(record);
    return { QueryExecutionId: id };
  }

  /** GetQueryExecution, in the AWS SDK v3 shape. */
  async getQueryExecution(input: { QueryExecutionId: string }): Promise<{ QueryExecution: QueryExecution }> {
    this.assertOpen();
    return { QueryExecution: toQueryExecution(this.record(input.QueryExecutionId)) };
  }

  /** Resolves when the execution is SUCCEEDED, FAILED or CANCELLED (no polling: one promise per execution). */
  async waitForQueryExecution(id: string, signal?: AbortSignal): Promise<{ QueryExecution: QueryExecution }> {
    this.assertOpen();
    const active = this.active.get(id);
    if (active) {
      const how = await abortable(active.finished, signal);
      if (how === 'closed') throw new Error(`LocalAthena was closed while ${id} was ${active.record.state}`);
    }
    return this.getQueryExecution({ QueryExecutionId: id });
  }

  /** StopQueryExecution: QUEUED or RUNNING becomes CANCELLED; a finished query is left as it is. */
  async stopQueryExecution(input: { QueryExecutionId: string }): Promise<void> {
    this.assertOpen();
    const record = this.record(input.QueryExecutionId);
    const active = this.active.get(record.id);
    if (!active || isTerminal(active.record.state)) return;
    active.cancelRequested = true;
    this.finish(active.record, 'CANCELLED', { reason: CANCELLED_BY_USER });
    active.abort.abort(new Error(CANCELLED_BY_USER));
    active.connection?.interrupt();
  }

  /** GetQueryResults: the first page of a SELECT starts with the header row, as in Athena. */
  async getQueryResults(input: {
    QueryExecutionId: string;
    MaxResults?: number;
    NextToken?: string;
  }): Promise<GetQueryResultsOutput> {
    this.assertOpen();
    const record = this.record(input.QueryExecutionId);
    if (record.state === 'QUEUED' || record.state === 'RUNNING') {
      throw invalidRequest(`Query has not yet finished. Current state: ${record.state}`);
    }
    if (record.state !== 'SUCCEEDED') {
      throw invalidRequest(`Query did not finish successfully. Final query state: ${record.state}`);
    }
    const maxResults = input.MaxResults ?? MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
      throw invalidRequest(`MaxResults must be between 1 and ${MAX_RESULTS}`);
    }
    let offset = 0;
    if (input.NextToken !== undefined) {
      const decoded = decodeToken(input.NextToken);
      if (!decoded || decoded.id !== record.id)
        throw invalidRequest('The NextToken is not valid for this query');
      offset = decoded.offset;
    }
    const file = s3UriToLocalPath(this.s3Root, record.resultUri);
    let page: Awaited<ReturnType<typeof readResultPage>>;
    try {
      page = await readResultPage(file, record.resultFormat ?? 'csv', offset, maxResults);
    } catch {
      throw invalidRequest(`The query results of ${record.id} are no longer at ${record.resultUri}`);
    }
    return {
      ResultSet: {
        Rows: page.rows.map((values) => ({
          Data: values.map((v) => (v === null ? {} : { VarCharValue: v })),
        })),
        ResultSetMetadata: { ColumnInfo: record.columns ?? [] },
      },
      ...(page.nextOffset !== undefined ? { NextToken: encodeToken(record.id, page.nextOffset) } : {}),
      ...(record.statementType === 'DML' ? { UpdateCount: record.updateCount ?? 0 } : {}),
    };
  }

  /** QUEUED + RUNNING DML queries: what the Active DML quota (and CloudWatch's ActiveQueryCount) count. */
  activeQueryCount(queryClass: 'DML' | 'DDL' | 'ALL' = 'DML'): number {
    return queryClass === 'ALL' ? this.active.size : this.activeCount(queryClass);
  }

  /** The local folder for an s3:// URI (result files, table locations). */
  localPath(s3Uri: string): string {
    return s3UriToLocalPath(this.s3Root, s3Uri);
  }

  /**
   * Stops the engine. Queries still QUEUED or RUNNING keep that state on disk and are resumed by the
   * next open() on this dataDir, like Athena, which keeps running when its client goes away.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const active of this.active.values()) {
      active.abandoned = true;
      active.abort.abort(new Error('LocalAthena closed'));
      active.connection?.interrupt();
    }
    await Promise.allSettled([...this.runs]);
    await this.engine.close();
    this.store.close();
  }

  /** Every prefix query results go to: the workgroups' output locations and the default bucket. */
  private resultLocations(): string[] {
    return [
      `s3://${DEFAULT_RESULTS_BUCKET}/`,
      ...Object.values(this.options.workgroups).flatMap((w) => (w.outputLocation ? [w.outputLocation] : [])),
    ];
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('LocalAthena is closed');
  }

  private workgroup(name: string): LocalWorkGroup {
    const settings = this.options.workgroups[name];
    if (settings) return settings;
    if (name === 'primary') return {};
    throw invalidRequest(`WorkGroup ${name} is not found`);
  }

  private record(id: string): ExecutionRecord {
    const record = this.active.get(id)?.record ?? this.store.get(id);
    if (!record) throw invalidRequest(`QueryExecution ${id} was not found`);
    return record;
  }

  private activeCount(queryClass: 'DML' | 'DDL'): number {
    let count = 0;
    for (const a of this.active.values()) {
      if (!isTerminal(a.record.state) && quotaClassOf(a.record.statementType) === queryClass) count++;
    }
    return count;
  }

  private schedule(record: ExecutionRecord): void {
    let settle!: (how: 'finished' | 'closed') => void;
    const finished = new Promise<'finished' | 'closed'>((resolvePromise) => {
      settle = resolvePromise;
    });
    const active: ActiveExecution = {
      record,
      abort: new AbortController(),
      finished,
      settle,
      cancelRequested: false,
      abandoned: false,
    };
    this.active.set(record.id, active);
    const run = this.run(active).finally(() => {
      this.runs.delete(run);
      this.active.delete(record.id);
      active.settle(active.abandoned ? 'closed' : 'finished');
    });
    this.runs.add(run);
  }

  private async run(active: ActiveExecution): Promise<void> {
    const record = active.record;
    const signal = active.abort.signal;
    const latency = this.options.latency ?? { queueMs: 0, planningMs: 0 };
    try {
      if (latency.queueMs > 0) await sleep(latency.queueMs, undefined, { signal });
      await this.slots.acquire(signal);
    } catch {
      return; // stopped (already CANCELLED) or closed (stays QUEUED for the next open) while queued
    }
    let sandbox: Sandbox | undefined;
    const ddl = record.statementType !== 'DML';
    try {
      record.state = 'RUNNING';
      record.runningAt = Date.now();
      this.store.update(record);
      const settings = this.workgroup(record.workGroup);
      if (record.catalog.toLowerCase() !== 'awsdatacatalog') {
        throw new QueryFailedError(
          userFailure(
            'CATALOG_NOT_FOUND',
            `Catalog '${record.catalog}' does not exist: the local Athena has one catalog, AwsDataCatalog`,
          ),
        );
      }
      const statement = parseStatement(record.query);
      if (!(await this.engine.databaseExists(record.database))) {
        throw new QueryFailedError(
          userFailure(
            'SCHEMA_NOT_FOUND',
            `Database ${record.database} does not exist: create it with CREATE DATABASE ${record.database}, or set QueryExecutionContext.Database`,
            { ddl },
          ),
        );
      }
      if (latency.planningMs > 0) await sleep(latency.planningMs, undefined, { signal });
      const outputDir = s3UriToLocalPath(this.s3Root, record.outputLocation);
      mkdirSync(outputDir, { recursive: true });
      const resultFile = s3UriToLocalPath(this.s3Root, record.resultUri);
      mkdirSync(dirname(resultFile), { recursive: true });
      const outcome = await runStatement({
        id: record.id,
        userSql: record.query,
        statement,
        parameters: record.executionParameters ?? [],
        database: record.database,
        engine: this.engine,
        sandbox: async (writableDirs) => {
          if (sandbox) throw new Error('a statement runs in one sandbox');
          sandbox = await this.engine.sandboxes.acquire(writableDirs);
          active.connection = sandbox.connection;
          signal.throwIfAborted();
          return sandbox;
        },
        resultLocations: this.resultLocations(),
        outputLocation: record.outputLocation,
        resultPath: resultFile,
        bytesScannedCutoff: settings.bytesScannedCutoffPerQuery,
        signal,
        onEngineStart: () => {
          signal.throwIfAborted();
          record.engineStartedAt = Date.now();
        },
      });
      record.engineEndedAt = Date.now();
      if (active.abandoned || active.cancelRequested) return;
      record.dataScannedBytes = outcome.dataScannedBytes;
      record.updateCount = outcome.updateCount;
      record.columns = outcome.columns;
      record.resultFormat = outcome.resultFormat;
      this.finish(record, 'SUCCEEDED');
    } catch (error) {
      record.engineEndedAt ??= Date.now();
      if (active.abandoned || active.cancelRequested) return;
      if (error instanceof BytesLimitExceededError) {
        record.dataScannedBytes = error.bytes;
        this.finish(record, 'CANCELLED', { reason: BYTES_LIMIT_REASON });
      } else {
        const failure = toFailure(error, record.query, ddl);
        this.finish(record, 'FAILED', { reason: failure.reason, error: failure.error });
      }
    } finally {
      // A sandbox whose query was interrupted is not reused.
      if (sandbox) this.engine.sandboxes.release(sandbox, !signal.aborted);
      this.slots.release();
    }
  }

  private finish(
    record: ExecutionRecord,
    state: QueryState,
    details: { reason?: string; error?: ExecutionRecord['athenaError'] } = {},
  ): void {
    if (isTerminal(record.state)) return;
    record.state = state;
    record.stateChangeReason = details.reason;
    record.athenaError = details.error;
    record.completedAt = Date.now();
    this.store.update(record);
  }
}

function quotaClassOf(statementType: StatementType): 'DML' | 'DDL' {
  return statementType === 'DML' ? 'DML' : 'DDL';
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function encodeToken(id: string, offset: number): string {
  return Buffer.from(JSON.stringify({ id, offset })).toString('base64url');
}

function decodeToken(token: string): { id: string; offset: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      id?: unknown;
      offset?: unknown;
    };
    if (typeof value.id === 'string' && typeof value.offset === 'number' && value.offset >= 0) {
      return { id: value.id, offset: value.offset };
    }
  } catch {
    // not ours
  }
  return undefined;
}

/** The record in the AWS SDK v3 QueryExecution shape, with statistics so far for an active query. */
function toQueryExecution(record: ExecutionRecord): QueryExecution {
  const now = Date.now();
  const end = record.completedAt ?? now;
  const queue = (record.runningAt ?? end) - record.submittedAt;
  let planning = 0;
  let engine = 0;
  let service = 0;
  if (record.runningAt !== undefined) {
    const engineEnd = record.engineEndedAt ?? end;
    planning = (record.engineStartedAt ?? engineEnd) - record.runningAt;
    engine = engineEnd - record.runningAt;
    service =
      record.completedAt !== undefined && record.engineEndedAt !== undefined ? end - record.engineEndedAt : 0;
  }
  return {
    QueryExecutionId: record.id,
    Query: record.query,
    StatementType: record.statementType,
    SubstatementType: record.substatementType,
    ResultConfiguration: { OutputLocation: record.resultUri },
    ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
    QueryExecutionContext: { Database: record.database, Catalog: record.catalog.toLowerCase() },
    Status: {
      State: record.state,
      ...(record.stateChangeReason ? { StateChangeReason: record.stateChangeReason } : {}),
      SubmissionDateTime: new Date(record.submittedAt),
      ...(record.completedAt !== undefined ? { CompletionDateTime: new Date(record.completedAt) } : {}),
      ...(record.athenaError ? { AthenaError: record.athenaError } : {}),
    },
    Statistics: {
      EngineExecutionTimeInMillis: Math.max(0, engine),
      DataScannedInBytes: record.dataScannedBytes,
      TotalExecutionTimeInMillis: Math.max(0, end - record.submittedAt),
      QueryQueueTimeInMillis: Math.max(0, queue),
      QueryPlanningTimeInMillis: Math.max(0, planning),
      ServiceProcessingTimeInMillis: Math.max(0, service),
      ResultReuseInformation: { ReusedPreviousResult: false },
    },
    WorkGroup: record.workGroup,
    ...(record.executionParameters ? { ExecutionParameters: record.executionParameters } : {}),
  };
}

export { AthenaServiceError };
