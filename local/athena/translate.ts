/**
 * A query as the user wrote it (Athena SQL) to the SQL DuckDB runs, with a map from positions in the
 * result back to the user's text:
 *
 * 1. on tokens, so that strings and comments are never touched: `?` placeholders take the
 *    ExecutionParameters, in order (Athena's parameters are SQL literals as text: `'abc'`, `42`,
 *    `DATE '2024-01-01'`; each is parenthesised so that it stays one expression), and `default`
 *    (a reserved word in DuckDB, Athena's default database) is quoted when it qualifies a name;
 * 2. Trino to DuckDB (trino-to-duckdb.ts), positions mapped back by token alignment. `EXPLAIN
 *    [options]` in front of a query is kept as written.
 */

import { runsOnAthenaOnly } from './athena-functions';
import { type PositionMap, RejectedQueryError } from './errors';
import { explainPrefix, SqlSyntaxError, tokenize } from './sql-tokenizer';
import { alignmentMap } from './token-alignment';
import { MACRO_FUNCTIONS } from './trino-macros';
import { trinoToDuckDb } from './trino-to-duckdb';

export interface Translation {
  readonly sql: string;
  readonly map: PositionMap;
}

interface Segment {
  readonly out: number;
  readonly outLength: number;
  readonly in: number;
  readonly inLength: number;
}

/** Translates `sql` (which starts at `baseOffset` in the user's statement) for DuckDB. */
export function translateQuery(sql: string, parameters: readonly string[] = [], baseOffset = 0): Translation {
  const bound = bindTokens(sql, parameters, baseOffset);
  const prefixLength = explainPrefix(bound.sql)?.length ?? 0;
  const query = bound.sql.slice(prefixLength);
  const toBound = (offset: number) => bound.map(offset + prefixLength);
  let transpiled: ReturnType<typeof trinoToDuckDb>;
  try {
    transpiled = trinoToDuckDb(query);
  } catch (error) {
    if (error instanceof RejectedQueryError) {
      throw new RejectedQueryError(
        error.code,
        error.message,
        error.position === undefined ? undefined : toBound(error.position),
      );
    }
    // What polyglot cannot read goes to DuckDB as it is: DuckDB runs it or says where it is wrong.
    if (error instanceof SqlSyntaxError) return bound;
    throw error;
  }
  const prefix = bound.sql.slice(0, prefixLength);
  const aligned = alignmentMap(query, transpiled.sql, transpiled.aliases);
  const map: PositionMap = (offset) => {
    if (offset < prefix.length) return bound.map(offset);
    const inQuery = aligned(offset - prefix.length);
    return inQuery === undefined ? undefined : toBound(inQuery);
  };
  return { sql: `${prefix}${transpiled.sql}`, map };
}

/** Step 1: parameters and `default`, on tokens. */
export function bindTokens(sql: string, parameters: readonly string[] = [], baseOffset = 0): Translation {
  const tokens = tokenize(sql);
  const significant = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const placeholders = significant.filter((t) => t.kind === 'param');
  if (placeholders.length !== parameters.length) {
    throw new SqlSyntaxError(
      `Incorrect number of parameters: expected ${placeholders.length} but found ${parameters.length}`,
      baseOffset + (placeholders[0]?.start ?? 0),
    );
  }
  parameters.forEach((parameter, i) => {
    const parts = tokenize(parameter).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
    if (parts.length === 0 || parts.some((t) => t.kind === 'punct' && t.text === ';')) {
      throw new SqlSyntaxError(
        `Execution parameter ${i + 1} is not a SQL literal: ${parameter}`,
        baseOffset + placeholders[i].start,
      );
    }
  });
  let out = '';
  const segments: Segment[] = [];
  let nextParameter = 0;
  const rank = new Map(significant.map((t, k) => [t, k]));
  tokens.forEach((token, index) => {
    let text = token.text;
    const k = rank.get(token) ?? -1;
    const next = significant[k + 1];
    if (token.kind === 'backtick') {
      // Trino's words: queries quote identifiers with double quotes (backticks are Hive DDL's).
      throw new SqlSyntaxError(
        'backquoted identifiers are not supported; use double quotes to quote identifiers',
        baseOffset + token.start,
      );
    }
    if (token.kind === 'param') {
      text = `(${parameters[nextParameter++]})`;
    } else if (token.kind === 'word' && next?.kind === 'punct' && next.text === '(') {
      text = renameCall(token.text, baseOffset + token.start);
    } else if (token.kind === 'word' && token.text.toLowerCase() === 'default') {
      const prev = significant[k - 1];
      if ((next?.kind === 'punct' && next.text === '.') || (prev?.kind === 'punct' && prev.text === '.')) {
        text = '"default"';
      }
    }
    if (index === tokens.length - 1 && token.kind === 'punct' && token.text === ';') text = '';
    segments.push({ out: out.length, outLength: text.length, in: token.start, inLength: token.text.length });
    out += text;
  });
  const map: PositionMap = (offset) => {
    for (const segment of segments) {
      if (offset >= segment.out && offset < segment.out + Math.max(1, segment.outLength)) {
        return baseOffset + segment.in + Math.min(offset - segment.out, Math.max(0, segment.inLength - 1));
      }
    }
    return offset >= out.length ? baseOffset + sql.length : undefined;
  };
  return { sql: out, map };
}

/**
 * A function call's name: the functions of trino-macros.ts go to their macro (on tokens, as polyglot
 * parses some of them into nodes of their own); names of the translation's own helpers and of
 * functions that run on Athena only are refused.
 */
function renameCall(written: string, position: number): string {
  const name = written.toLowerCase();
  if (/^__(athena|duckdb)_/.test(name)) {
    throw new RejectedQueryError('FUNCTION_NOT_FOUND', `Function '${name}' not registered`, position);
  }
  if (runsOnAthenaOnly(name)) {
    throw new RejectedQueryError(
      'FUNCTION_NOT_FOUND',
      `Function '${name}' is not supported by the local Athena engine (it runs on Athena)`,
      position,
    );
  }
  return Object.hasOwn(MACRO_FUNCTIONS, name) ? `__athena_${name}` : written;
}

/** The same map for SQL that embeds a translation after `prefixLength` characters. */
export function shiftMap(map: PositionMap, prefixLength: number): PositionMap {
  return (offset) => (offset < prefixLength ? undefined : map(offset - prefixLength));
}
