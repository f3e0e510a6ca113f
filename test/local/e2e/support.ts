/**
 * Shared helpers of the local runtime's end-to-end tests: a runtime on an ephemeral loopback port with
 * its data in a temp dir, plain HTTP calls to its API, polling, and read-only looks at what the runtime
 * stored (the local Athena's executions, the runtime's SQLite database) for the assertions that the API
 * does not answer (how many Athena runs, execution histories).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { parseConfig, type WlmConfigInput } from '../../../contracts/config';
import { parseExecutionName } from '../../../contracts/execution-naming';
import type { SlotHolder } from '../../../functions/core/ports';
import type { QueryView } from '../../../functions/core/query-view';
import type { ExecutionRecord } from '../../../local/athena/execution-store';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../../local/runtime';
import type { HistoryEvent } from '../../../local/stepfunctions';
import { DATABASE_FILE } from '../../../local/store/database';
import { RunQueryStates } from '../../../state-machines/run-query';

/** The repository root (tests spawn `local/main.ts` from here). */
export const ROOT = join(__dirname, '..', '..', '..');

/** Small sample tables: enough rows for real GROUP BYs, generated in about a second. */
export const SMALL_SAMPLE = { albLogLines: 5000, sensorReadings: 2000 } as const;

/** Athena SQL that keeps the local engine busy (about 10^11 rows) until the query is stopped. */
export const LONG_QUERY =
  'SELECT count(*) AS n FROM UNNEST(sequence(1, 1000000)) AS a(i) CROSS JOIN UNNEST(sequence(1, 100000)) AS b(j) WHERE (i + j) % 7 = 3';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `athena-wlm-e2e-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A runtime under test and the temp dir it owns. */
export interface TestRuntime {
  readonly runtime: LocalRuntime;
  readonly url: string;
  readonly dataDir: string;
  /** Closes the runtime and removes its data dir. */
  close(): Promise<void>;
}

export type TestRuntimeOptions = Omit<Partial<LocalRuntimeOptions>, 'config'> & {
  /** A config as a user writes it (validated here, defaults filled in). */
  readonly config?: WlmConfigInput;
};

/** Starts the local runtime on 127.0.0.1 with an ephemeral port, no sample data unless asked, and no retry pauses. */
export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? tempDir('runtime');
  const { config, ...rest } = options;
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      sampleData: false,
      retryPauseMs: 0,
      ...rest,
      dataDir,
      port: 0,
      ...(config ? { config: parseConfig(config, 'test config') } : {}),
    });
  } catch (error) {
    removeDir(dataDir);
    throw error;
  }
  return {
    runtime,
    url: runtime.url,
    dataDir,
    async close() {
      await runtime.close();
      removeDir(dataDir);
    },
  };
}

// ---------- HTTP ----------

export interface HttpAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly contentType: string;
  readonly body: T;
}

/** One HTTP call; a JSON answer is parsed, anything else is returned as text. */
export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, init);
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const parsed = contentType.includes('application/json') && text ? (JSON.parse(text) as T) : (text as T);
  return { status: response.status, contentType, body: parsed };
}

/** POSTs a submission and expects 202; returns the queryId the API gave. */
export async function submit(
  url: string,
  body: Record<string, unknown>,
  workgroup?: string,
): Promise<string> {
  const path = workgroup ? `/workgroups/${workgroup}/queries` : '/athena/query';
  const answer = await http<{ queryId: string }>('POST', `${url}${path}`, body);
  if (answer.status !== 202) {
    throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body.queryId;
}

/** `GET /queries/{id}`, or undefined while the query is still in the intake queue (404). */
export async function getQuery(url: string, queryId: string): Promise<QueryView | undefined> {
  const answer = await http<QueryView>('GET', `${url}/queries/${queryId}`);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new Error(`GET /queries/${queryId} answered ${answer.status}`);
  return answer.body;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value other than undefined/false; fails with `what` after the timeout. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 20_000, everyMs = 25 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Polls `GET /queries/{id}` until the query has one of `statuses`. */
export function waitForStatus(
  url: string,
  queryId: string,
  statuses: readonly string[],
  timeoutMs = 20_000,
): Promise<QueryView> {
  return waitFor(
    `query ${queryId} to be ${statuses.join(' or ')}`,
    async () => {
      const view = await getQuery(url, queryId);
      return view && statuses.includes(view.status) ? view : undefined;
    },
    { timeoutMs },
  );
}

/** Polls until the query is SUCCEEDED, FAILED or CANCELLED. */
export function waitForEnd(url: string, queryId: string, timeoutMs = 20_000): Promise<QueryView> {
  return waitForStatus(url, queryId, ['SUCCEEDED', 'FAILED', 'CANCELLED'], timeoutMs);
}

export interface ResultTable {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: (string | null)[][];
  readonly pages: number;
}

/** Reads every page of `GET /queries/{id}/results`. */
export async function readAllResults(url: string, queryId: string, maxResults = 1000): Promise<ResultTable> {
  const rows: (string | null)[][] = [];
  let columns: ResultTable['columns'] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const query = new URLSearchParams({ maxResults: String(maxResults) });
    if (nextToken) query.set('nextToken', nextToken);
    const answer = await http<{
      columns: ResultTable['columns'];
      rows: (string | null)[][];
      nextToken?: string;
    }>('GET', `${url}/queries/${queryId}/results?${query}`);
    if (answer.status !== 200) {
      throw new Error(`results of ${queryId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    columns = answer.body.columns;
    rows.push(...answer.body.rows);
    nextToken = answer.body.nextToken;
    pages++;
  } while (nextToken);
  return { columns, rows, pages };
}

/** Rows as a sorted list of their JSON, so two results compare as multisets. */
export function asMultiset(rows: readonly (readonly (string | null)[])[]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort();
}

// ---------- what the runtime stored ----------

/**
 * The slots held once the dispatcher applied every wake event sent so far (a release is applied a few
 * milliseconds after the execution sent it). Read from the dispatch store itself.
 */
export async function heldSlots(runtime: LocalRuntime): Promise<readonly SlotHolder[]> {
  await waitFor('the dispatcher to apply every wake event', () => runtime.queues.wake.depth() === 0, {
    everyMs: 5,
  });
  return runtime.dispatch.holders();
}

/**
 * Every execution the local Athena recorded, read from its SQLite store (`<dataDir>/athena/
 * executions.sqlite`) on a read-only connection of its own. LocalAthena exposes no listing, and this is
 * what decides "one Athena run per query": a run not in this table never happened.
 */
export function athenaExecutions(dataDir: string): ExecutionRecord[] {
  const db = new BetterSqlite3(join(dataDir, 'athena', 'executions.sqlite'), { readonly: true });
  try {
    return (
      db.prepare('SELECT record FROM executions ORDER BY submitted_at').all() as { record: string }[]
    ).map((row) => JSON.parse(row.record) as ExecutionRecord);
  } finally {
    db.close();
  }
}

/** Runs a read-only query on the runtime's own database (`<dataDir>/athena-wlm.db`). */
export function runtimeRows<T>(dataDir: string, sql: string, ...args: unknown[]): T[] {
  const db = new BetterSqlite3(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** Names of the run-query executions of a query (`<id>`, then `<id>__r1`, ...), oldest first. */
export function executionNamesOf(runtime: LocalRuntime, queryId: string): string[] {
  return runtime.stepFunctions
    .listExecutions({ maxResults: 1000 })
    .executions.filter((e) => parseExecutionName(e.name).queryId === queryId)
    .map((e) => e.name)
    .reverse();
}

/** How many times an execution called StartQuery: its first entry plus one per retry. */
export function startQueryAttempts(events: readonly HistoryEvent[]): number {
  const entered = events.filter(
    (e) => e.type === 'StateEntered' && 'state' in e && e.state.name === RunQueryStates.startQuery,
  ).length;
  return entered + startQueryRetries(events);
}

export function startQueryRetries(events: readonly HistoryEvent[]): number {
  return events.filter(
    (e) => e.type === 'StateRetried' && 'state' in e && e.state.name === RunQueryStates.startQuery,
  ).length;
}

// ---------- `npm start` as a child process ----------

/** `local/main.ts` running in a child process (node with tsx's loader: one process, so SIGKILL kills it all). */
export interface MainProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the URL the process printed once ready; rejects if it exits first. */
  readonly ready: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnMain(
  args: readonly string[],
  env: Record<string, string> = {},
  /** Run as this user (and its group of the same number); the test process must be root. */
  options: { readonly uid?: number } = {},
): MainProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join('local', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '', ATHENA_WLM_CONFIG: '', ATHENA_WLM_DATA_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /athena-wlm is running at (http:\/\/\S+)/.exec(stdout);
      if (match) {
        child.stdout?.off('data', onData);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`local/main.ts exited (code ${code}, signal ${signal}) before it was ready:\n${stderr}`),
      ),
    );
  });
  ready.catch(() => undefined);
  return { child, output: () => ({ stdout, stderr }), ready, exited };
}

/** Stops a child if it still runs (SIGKILL: tests never wait on a graceful stop). */
export async function killMain(main: MainProcess | undefined): Promise<void> {
  if (!main || main.child.exitCode !== null || main.child.signalCode !== null) return;
  main.child.kill('SIGKILL');
  await main.exited;
}
