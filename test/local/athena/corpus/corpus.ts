/**
 * The Athena SQL corpus: queries written for Athena (the function reference's examples, and queries
 * in the style of the Athena user guide's ALB, CloudFront and VPC flow log pages over sample tables
 * generated here), each with its expected result computed independently of the local engine: fixed
 * values, or a hand-written DuckDB query over the generated records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { LocalAthena } from '../../../../local/athena';
import type { CorpusQuery, Rows } from './corpus-query';
import { FUNCTION_QUERIES } from './functions';
import { createLogTables, LOG_QUERIES } from './logs';

export interface CorpusResult {
  readonly query: CorpusQuery;
  /** Whether the query ran unchanged with the expected result (or, if unsupported, failed as expected). */
  readonly ok: boolean;
  readonly detail?: string;
}

export const CORPUS: readonly CorpusQuery[] = [...FUNCTION_QUERIES, ...LOG_QUERIES];

/** Runs every query of the corpus on a fresh LocalAthena. */
export async function runCorpus(): Promise<CorpusResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'athena-wlm-corpus-'));
  const athena = await LocalAthena.open({ dataDir, activeQueryQuota: 20, workgroups: {}, engineThreads: 2 });
  const truth = await DuckDBInstance.create(':memory:');
  const connection = await truth.connect();
  try {
    await createLogTables(athena, connection, dataDir);
    const results: CorpusResult[] = [];
    for (const query of CORPUS) results.push(await runOne(athena, connection, query));
    return results;
  } finally {
    connection.closeSync();
    truth.closeSync();
    await athena.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runOne(
  athena: LocalAthena,
  truth: DuckDBConnection,
  query: CorpusQuery,
): Promise<CorpusResult> {
  const { QueryExecutionId } = await athena.startQueryExecution({ QueryString: query.sql });
  const { QueryExecution } = await athena.waitForQueryExecution(QueryExecutionId);
  const state = QueryExecution.Status?.State;
  const reason = QueryExecution.Status?.StateChangeReason ?? '';
  if (query.unsupported) {
    const ok = state === 'FAILED' && query.unsupported.test(reason);
    return {
      query,
      ok,
      detail: ok ? reason : `expected FAILED ${query.unsupported}, got ${state} ${reason}`,
    };
  }
  if (state !== 'SUCCEEDED') return { query, ok: false, detail: `${state}: ${reason}` };
  const rows: (string | null)[][] = [];
  let types: string[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.getQueryResults({ QueryExecutionId, NextToken: token });
    types = page.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => c.Type);
    const values = page.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue ?? null));
    rows.push(...(first ? values.slice(1) : values));
    first = false;
    token = page.NextToken;
  } while (token);
  let expected: Rows;
  try {
    expected = await expectedRows(truth, query);
  } catch (error) {
    return {
      query,
      ok: false,
      detail: `the expected query failed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
  const problems: string[] = [];
  if (JSON.stringify(rows) !== JSON.stringify(expected)) {
    problems.push(
      `rows ${JSON.stringify(rows).slice(0, 400)} expected ${JSON.stringify(expected).slice(0, 400)}`,
    );
  }
  if (query.types && JSON.stringify(types) !== JSON.stringify(query.types)) {
    problems.push(`types ${JSON.stringify(types)} expected ${JSON.stringify(query.types)}`);
  }
  return { query, ok: problems.length === 0, detail: problems.join('; ') || undefined };
}

async function expectedRows(truth: DuckDBConnection, query: CorpusQuery): Promise<Rows> {
  const expected = query.expected;
  if (!expected) return [];
  if (!('duckdb' in expected)) return expected as Rows;
  const reader = await truth.runAndReadAll(expected.duckdb);
  return reader.getRows().map((row) => row.map((v) => (v === null ? null : String(v))));
}

/** The figure the README states: how many corpus queries run unchanged, of how many. */
export function summarize(results: readonly CorpusResult[]): {
  unchanged: number;
  total: number;
  unsupported: string[];
} {
  return {
    unchanged: results.filter((r) => r.ok && !r.query.unsupported).length,
    total: results.length,
    unsupported: results.filter((r) => r.query.unsupported).map((r) => r.query.name),
  };
}
