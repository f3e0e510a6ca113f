import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { QueryExecution } from '@aws-sdk/client-athena';
import { LocalAthena, type LocalAthenaOptions } from '../../../local/athena';

/** A temp data folder, removed by the returned cleanup. */
export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'athena-wlm-athena-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openAthena(
  dataDir: string,
  options: Partial<LocalAthenaOptions> = {},
): Promise<LocalAthena> {
  return LocalAthena.open({ dataDir, activeQueryQuota: 20, workgroups: {}, ...options });
}

/** Starts a query and waits for its end. */
export async function run(
  athena: LocalAthena,
  sql: string,
  extra: Partial<Parameters<LocalAthena['startQueryExecution']>[0]> = {},
): Promise<QueryExecution> {
  const { QueryExecutionId } = await athena.startQueryExecution({ QueryString: sql, ...extra });
  return (await athena.waitForQueryExecution(QueryExecutionId)).QueryExecution;
}

/** Runs a statement that must succeed and returns its rows (header row included for queries). */
export async function rows(athena: LocalAthena, sql: string, extra = {}): Promise<(string | undefined)[][]> {
  const execution = await run(athena, sql, extra);
  if (execution.Status?.State !== 'SUCCEEDED') {
    throw new Error(`${sql} ended ${execution.Status?.State}: ${execution.Status?.StateChangeReason}`);
  }
  const all: (string | undefined)[][] = [];
  let token: string | undefined;
  do {
    const page = await athena.getQueryResults({
      QueryExecutionId: execution.QueryExecutionId!,
      NextToken: token,
    });
    all.push(...page.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue)));
    token = page.NextToken;
  } while (token);
  return all;
}

/** Writes a file under the local S3 root of an athena (creating folders). */
export function putObject(athena: LocalAthena, s3Uri: string, body: string | Buffer): string {
  const path = athena.localPath(s3Uri);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  return path;
}

/** Waits (test-side polling, a few ms at a time) until an execution reaches a state. */
export async function waitForState(
  athena: LocalAthena,
  id: string,
  state: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { QueryExecution } = await athena.getQueryExecution({ QueryExecutionId: id });
    if (QueryExecution.Status?.State === state) return;
    if (Date.now() > end) throw new Error(`${id} stayed ${QueryExecution.Status?.State}, expected ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
