import { rmSync } from 'node:fs';
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import { EngineError } from './errors';
import { ResultFileWriter } from './result-files';
import { columnInfo, formatValue } from './result-format';
import { tokenize } from './sql-tokenizer';
import {
  BytesLimitExceededError,
  finishProfiling,
  openSandbox,
  type RunContext,
  type RunOutcome,
} from './statement-context';
import { translateQuery } from './translate';
import { prepareUserQuery } from './user-sql';

/** A query (SELECT, WITH, VALUES, ...): streamed from DuckDB into the CSV result file, under the scan cutoff. */
export async function runQuery(ctx: RunContext, sql: string): Promise<RunOutcome> {
  const translation = translateQuery(sql, ctx.parameters);
  const { regexCaches } = await ctx.engine.prepareTables(translation.sql);
  const box = await openSandbox(ctx);
  const prepared = await prepareUserQuery(box, { ...translation, userSql: ctx.userSql });
  const resultFile = ctx.resultPath;
  const writer = new ResultFileWriter(resultFile, 'csv');
  try {
    ctx.onEngineStart();
    box.clearProfile();
    let result: Awaited<ReturnType<DuckDBPreparedStatement['stream']>>;
    try {
      result = await prepared.stream();
    } catch (error) {
      throw new EngineError(error, translation.sql, translation.map);
    }
    const names = athenaColumnNames(result.columnNames(), sql);
    const types = result.columnTypes();
    await writer.writeRow(names);
    try {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunk.getRows())
          await writer.writeRow(row.map((value, i) => formatValue(value, types[i])));
      }
    } catch (error) {
      throw new EngineError(error, translation.sql, translation.map);
    }
    await writer.close();
    const bytes = await finishProfiling(ctx, box, regexCaches);
    if (ctx.bytesScannedCutoff !== undefined && bytes > ctx.bytesScannedCutoff)
      throw new BytesLimitExceededError(bytes);
    return {
      resultFile,
      resultFormat: 'csv',
      columns: names.map((name, i) => columnInfo(name, types[i])),
      dataScannedBytes: bytes,
    };
  } catch (error) {
    await writer.close().catch(() => undefined);
    rmSync(resultFile, { force: true });
    throw error;
  } finally {
    prepared.destroySync();
  }
}

/**
 * Athena (Trino) lower-cases result column names and names unnamed expressions `_col0`, `_col1`...
 * DuckDB names them after their text (`count_star()`); such names are replaced unless the query
 * gave that exact alias.
 */
function athenaColumnNames(names: readonly string[], sql: string): string[] {
  const tokens = tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const aliases = new Set<string>();
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    if (t.kind === 'word' && t.text.toUpperCase() === 'AS' && next) {
      aliases.add(
        (next.kind === 'quoted' ? next.text.slice(1, -1).replace(/""/g, '"') : next.text).toLowerCase(),
      );
    }
  });
  return names.map((name, i) => {
    const lower = name.toLowerCase();
    if (aliases.has(lower)) return lower;
    // VALUES columns are col0, col1... in DuckDB and _col0, _col1... in Athena.
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^col\d+$/.test(lower) ? lower : `_col${i}`;
  });
}
