/**
 * Intake under load (`npm run bench -- --local`): `npm start`'s entry (local/main.ts: the threaded
 * runtime) in a child process on a temp data dir with the sample tables, a background burst of queries
 * so that queries run throughout, then autocannon POSTing the pipeline's queries to the five classes
 * from 50 connections. Every 202 must be durable: the ledger is counted afterwards. Then the same
 * server idle with a backlog it cannot run (every slot held by a query Athena keeps queued): its CPU.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE } from '../local/store/database';
import { LOCAL_QUEUES, LOCAL_TABLES } from '../local/store/local-names';
import { MIX, QUERIES } from './local-pipeline';

const INTAKE_GOAL = { postsPerSecond: 2000, p99Ms: 50 } as const;
const DEFAULT_INTAKE_SECONDS = 10;
const CONNECTIONS = 50;
const WARMUP_SECONDS = 2;
/** Queries submitted before the measurement, so that queries run while it lasts. */
const BACKGROUND_QUERIES = 100;
/** Queries left waiting in line for the idle measurement, and how long it watches the CPU. */
const IDLE_BACKLOG = 2000;
const IDLE_WATCH_MS = 10_000;

const ROOT = join(__dirname, '..');

export interface IntakeResult {
  readonly seconds: number;
  readonly connections: number;
  readonly postsPerSecond: number;
  readonly accepted: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Accepted (202) POSTs of the whole run, background and warm-up included, and the ledger's records. */
  readonly acceptedInAll: number;
  readonly ledgerRecords: number;
  /** Queries of the background and of the measurement that ended while the measurement ran. */
  readonly finishedDuring: number;
  /** The server's CPU during the measurement, in % of one core (its two threads and the engine's). */
  readonly serverCpuPercent: number;
  readonly idle: { readonly waiting: number; readonly cpuPercent: number; readonly watchMs: number };
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
}

async function startServer(dir: string, args: readonly string[]): Promise<Server> {
  const dataDir = join(dir, 'data');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join('local', 'main.ts'), '--port', '0', '--data-dir', dataDir, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: '', ATHENA_WLM_CONFIG: '' },
    },
  );
  let out = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /athena-wlm is running at (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${out}`)));
  });
  return { child, url, dataDir };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

/** CPU time of a process so far (its threads included), ms; Linux only. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function readDb<T>(dataDir: string, sql: string, ...args: unknown[]): T {
  const db = new BetterSqlite3(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare(sql).get(...args) as T;
  } finally {
    db.close();
  }
}

const mixRequests = () =>
  MIX.map((className) => ({
    method: 'POST' as const,
    path: `/workgroups/${className}/queries`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERIES[className] }),
  }));

async function submitMany(url: string, n: number, body: (i: number) => object, path: (i: number) => string) {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
        const response = await fetch(`${url}${path(i + k)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body(i + k)),
        });
        if (response.status !== 202) throw new Error(`a submission answered ${response.status}`);
      }),
    );
  }
}

function cannon(url: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: mixRequests() });
}

export async function runLocalIntake(options: { seconds?: number } = {}): Promise<IntakeResult> {
  const seconds = options.seconds ?? DEFAULT_INTAKE_SECONDS;
  const dir = mkdtempSync(join(tmpdir(), 'athena-wlm-bench-intake-'));
  try {
    const server = await startServer(dir, []);
    let measured: autocannon.Result;
    let warmup: autocannon.Result;
    let serverCpuPercent: number;
    let finishedDuring: number;
    try {
      await submitMany(
        server.url,
        BACKGROUND_QUERIES,
        (i) => ({ query: QUERIES[MIX[i % MIX.length]] }),
        (i) => `/workgroups/${MIX[i % MIX.length]}/queries`,
      );
      warmup = await cannon(server.url, WARMUP_SECONDS);
      const began = new Date().toISOString();
      const cpuBefore = cpuMs(server.child.pid!);
      const wallBefore = performance.now();
      measured = await cannon(server.url, seconds);
      serverCpuPercent = ((cpuMs(server.child.pid!) - cpuBefore) / (performance.now() - wallBefore)) * 100;
      finishedDuring = readDb<{ n: number }>(
        server.dataDir,
        `SELECT count(*) AS n FROM documents WHERE table_name = ? AND json_extract(doc, '$.finishedAt') BETWEEN ? AND ?`,
        LOCAL_TABLES.ledger,
        began,
        new Date().toISOString(),
      ).n;
    } finally {
      await stopServer(server);
    }
    // Read after the kill: what a 202 promised is on disk, whatever the process did next.
    const ledgerRecords = readDb<{ n: number }>(
      server.dataDir,
      'SELECT count(*) AS n FROM documents WHERE table_name = ?',
      LOCAL_TABLES.ledger,
    ).n;

    return {
      seconds,
      connections: CONNECTIONS,
      postsPerSecond: measured['2xx'] / seconds,
      accepted: measured['2xx'],
      non2xx: measured.non2xx,
      errors: measured.errors,
      timeouts: measured.timeouts,
      latencyMs: {
        p50: measured.latency.p50,
        p90: measured.latency.p90,
        p99: measured.latency.p99,
        max: measured.latency.max,
      },
      acceptedInAll: BACKGROUND_QUERIES + warmup['2xx'] + measured['2xx'],
      ledgerRecords,
      finishedDuring,
      serverCpuPercent,
      idle: await idleWithBacklog(join(dir, 'idle')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A server whose every slot is held by a query Athena keeps queued for ten minutes, with IDLE_BACKLOG
 * more waiting in line behind them: once the starter has started them all, nothing can move, and
 * nothing should use the CPU.
 */
async function idleWithBacklog(dir: string): Promise<IntakeResult['idle']> {
  const server = await startServer(dir, ['--no-sample-data', '--latency-ms', '1200000']);
  try {
    await submitMany(
      server.url,
      IDLE_BACKLOG,
      () => ({ query: 'SELECT 1 AS one' }),
      () => '/workgroups/predictable/queries',
    );
    const started = Date.now();
    while (
      readDb<{ n: number }>(
        server.dataDir,
        'SELECT count(*) AS n FROM queue_messages WHERE queue IN (?, ?)',
        LOCAL_QUEUES.queries,
        LOCAL_QUEUES.wake,
      ).n > 0
    ) {
      if (Date.now() - started > 300_000) throw new Error('the starter did not take in the idle backlog');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const waiting = readDb<{ n: number }>(
      server.dataDir,
      "SELECT count(*) AS n FROM documents WHERE table_name = ? AND json_extract(doc, '$.status') = 'WAITING_FOR_SLOT'",
      LOCAL_TABLES.ledger,
    ).n;
    const before = cpuMs(server.child.pid!);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WATCH_MS));
    return {
      waiting,
      cpuPercent: ((cpuMs(server.child.pid!) - before) / IDLE_WATCH_MS) * 100,
      watchMs: IDLE_WATCH_MS,
    };
  } finally {
    await stopServer(server);
  }
}

/**
 * Every accepted POST has its record. A POST still in flight when a run ended is not counted as
 * accepted but may have been stored: at most one per connection per run (warm-up and measurement).
 */
const durable = (r: IntakeResult) =>
  r.ledgerRecords >= r.acceptedInAll && r.ledgerRecords <= r.acceptedInAll + 2 * r.connections;

/** The "Local intake" section of RESULTS.md (without its markers). */
export function localIntakeSection(result: IntakeResult, command: string, machine: string): string {
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const { latencyMs: l } = result;
  return [
    '## Local intake',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}. ${machine}`,
    '',
    "`npm start`'s entry (local/main.ts) in a child process, default config and sample tables:",
    `${BACKGROUND_QUERIES} queries submitted first so that queries run throughout, ${WARMUP_SECONDS} s of warm-up, then`,
    `autocannon for ${result.seconds} s from ${result.connections} connections POSTing the pipeline's queries (mix per 10:`,
    `${MIX.join(', ')}) to \`/workgroups/{class}/queries\`, on the same 2 cores as the server.`,
    '',
    '| | Goal | Measured | |',
    '|---|---:|---:|---|',
    `| Accepted POSTs per second | >= ${INTAKE_GOAL.postsPerSecond.toLocaleString('en-US')} | ${Math.round(result.postsPerSecond).toLocaleString('en-US')} | ${met(result.postsPerSecond >= INTAKE_GOAL.postsPerSecond)} |`,
    `| POST latency p99 | <= ${INTAKE_GOAL.p99Ms} ms | ${l.p99} ms | ${met(l.p99 <= INTAKE_GOAL.p99Ms)} |`,
    `| Accepted POSTs in the ledger after a SIGKILL | all | ${result.ledgerRecords.toLocaleString('en-US')} records for ${result.acceptedInAll.toLocaleString('en-US')} accepted | ${met(durable(result))} |`,
    '',
    `- Latency p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms; ${result.accepted.toLocaleString('en-US')} accepted, ` +
      `${result.non2xx} other answers, ${result.errors} errors, ${result.timeouts} timeouts.`,
    `- ${result.finishedDuring} queries ended while the measurement ran; the server used ` +
      `${Math.round(result.serverCpuPercent)}% of a core (both threads and the engine's).`,
    `- Idle with a backlog: ${result.idle.waiting.toLocaleString('en-US')} queries waiting in line behind slots that cannot free ` +
      `(\`--latency-ms 1200000\`): **${result.idle.cpuPercent.toFixed(1)}% of a core** over ${result.idle.watchMs / 1000} s.`,
  ].join('\n');
}
