/**
 * The few rewrites a Trino query needs before DuckDB runs it, done on tokens so that strings and
 * comments are never touched, with a map from positions in the result back to the user's text:
 *
 * - `?` placeholders take the ExecutionParameters, in order. Athena's parameters are SQL literals as
 *   text (`'abc'`, `42`, `DATE '2024-01-01'`); each is parenthesised so that it stays one expression.
 * - `default.table`: `default` is a reserved word in DuckDB but Athena's default database; it is
 *   quoted when it qualifies a name.
 */

import type { PositionMap } from './errors';
import { SqlSyntaxError, tokenize } from './sql-tokenizer';

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

/** Rewrites `sql` (which starts at `baseOffset` in the user's statement) for DuckDB. */
export function translateQuery(sql: string, parameters: readonly string[] = [], baseOffset = 0): Translation {
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
  tokens.forEach((token, index) => {
    let text = token.text;
    if (token.kind === 'param') {
      text = `(${parameters[nextParameter++]})`;
    } else if (token.kind === 'word' && token.text.toLowerCase() === 'default') {
      const k = significant.indexOf(token);
      const prev = significant[k - 1];
      const next = significant[k + 1];
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

/** The same map for SQL that embeds a translation after `prefixLength` characters. */
export function shiftMap(map: PositionMap, prefixLength: number): PositionMap {
  return (offset) => (offset < prefixLength ? undefined : map(offset - prefixLength));
}
