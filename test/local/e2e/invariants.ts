/**
 * What must hold in a data dir once the runtime that used it is gone, read from its SQLite files: the
 * crash test and the fault harness check these after their kills.
 */
import { DynamoDbDispatchStore } from '../../../functions/adapters/aws/dynamodb-dispatch-store';
import { LocalDocumentClient } from '../../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { openDatabase } from '../../../local/store/database';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../../local/store/local-names';
import { runtimeRows } from './support';

/** The states an execution entered, in order (restarts after a crash included). */
export function enteredStates(dataDir: string, arn: string): string[] {
  return runtimeRows<{ event: string }>(
    dataDir,
    "SELECT event FROM execution_events WHERE arn = ? AND type = 'StateEntered' ORDER BY id",
    arn,
  ).map((e) => (JSON.parse(e.event) as { state: { name: string } }).state.name);
}

/** The event types of an execution, in order. */
export function eventTypes(dataDir: string, arn: string): string[] {
  return runtimeRows<{ type: string }>(
    dataDir,
    'SELECT type FROM execution_events WHERE arn = ? ORDER BY id',
    arn,
  ).map((e) => e.type);
}

/** The dispatcher's state, read with the dispatch store itself (the process must be gone). */
export async function dispatchState(
  dataDir: string,
  classes: readonly string[],
): Promise<{ holders: unknown[]; inLine: unknown[]; waitStatus: object }> {
  const db = openDatabase(dataDir);
  try {
    const dispatch = new DynamoDbDispatchStore(
      new LocalDocumentClient(new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS)).asDocumentClient(),
      LOCAL_TABLES.dispatch,
    );
    const inLine = (await Promise.all(classes.map((c) => dispatch.heads(c, 1000)))).flat();
    return { holders: [...(await dispatch.holders())], inLine, waitStatus: await dispatch.waitStatus() };
  } finally {
    db.close();
  }
}
