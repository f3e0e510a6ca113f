/**
 * Athena's date and time format strings as DuckDB strftime/strptime formats:
 *
 * - `date_format` / `date_parse` take MySQL-style `%` specifiers (Trino docs, "Date and time
 *   functions", MySQL date functions);
 * - `format_datetime` / `parse_datetime` take Joda-Time patterns (runs of letters, '' quoting).
 *
 * The conversion happens when the query is translated (DuckDB's strptime needs a constant format),
 * so these functions take a string literal pattern locally. A specifier DuckDB cannot render is an
 * error that names it.
 */

export class FormatNotSupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatNotSupportedError';
  }
}

type Use = 'format' | 'parse';

/** MySQL specifiers; `[format, parse]` when the two differ (strptime reads unpadded numbers with %d). */
const MYSQL: Record<string, string | readonly [string, string]> = {
  a: '%a',
  b: '%b',
  c: ['%-m', '%m'],
  d: '%d',
  e: ['%-d', '%d'],
  f: '%f',
  H: '%H',
  h: '%I',
  I: '%I',
  i: '%M',
  j: '%j',
  k: ['%-H', '%H'],
  l: ['%-I', '%I'],
  M: '%B',
  m: '%m',
  p: '%p',
  r: '%I:%M:%S %p',
  S: '%S',
  s: '%S',
  T: '%H:%M:%S',
  U: '%U',
  u: '%W',
  v: '%V',
  W: '%A',
  w: '%w',
  x: '%G',
  Y: '%Y',
  y: '%y',
  '%': '%%',
};

const pick = (value: string | readonly [string, string], use: Use) =>
  typeof value === 'string' ? value : value[use === 'format' ? 0 : 1];

/** A MySQL-style format (date_format, date_parse) as a DuckDB strftime/strptime format. */
export function mysqlToStrftime(pattern: string, use: Use): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const spec = pattern[++i];
    if (spec === undefined) throw new FormatNotSupportedError(`Format ends with a lone '%': ${pattern}`);
    const mapped = MYSQL[spec];
    if (mapped === undefined) {
      if (/[A-Za-z]/.test(spec)) {
        throw new FormatNotSupportedError(
          `%${spec} is not supported in date formats by the local Athena engine`,
        );
      }
      out += spec === '%' ? '%%' : spec;
    } else {
      out += pick(mapped, use);
    }
  }
  return out;
}

/** Joda letters by run length (the longest run length not above the count applies). */
const JODA: Record<string, readonly [number, string | readonly [string, string]][]> = {
  y: [
    [1, '%Y'],
    [2, '%y'],
    [3, '%Y'],
  ],
  Y: [
    [1, '%Y'],
    [2, '%y'],
    [3, '%Y'],
  ],
  x: [[1, '%G']],
  w: [
    [1, ['%-V', '%V']],
    [2, '%V'],
  ],
  e: [[1, '%u']],
  E: [
    [1, '%a'],
    [4, '%A'],
  ],
  D: [
    [1, ['%-j', '%j']],
    [3, '%j'],
  ],
  M: [
    [1, ['%-m', '%m']],
    [2, '%m'],
    [3, '%b'],
    [4, '%B'],
  ],
  d: [
    [1, ['%-d', '%d']],
    [2, '%d'],
  ],
  a: [[1, '%p']],
  h: [
    [1, ['%-I', '%I']],
    [2, '%I'],
  ],
  H: [
    [1, ['%-H', '%H']],
    [2, '%H'],
  ],
  m: [
    [1, ['%-M', '%M']],
    [2, '%M'],
  ],
  s: [
    [1, ['%-S', '%S']],
    [2, '%S'],
  ],
  S: [
    [3, '%g'],
    [6, '%f'],
    [9, '%n'],
  ],
  z: [[1, '%Z']],
  Z: [
    [1, '%z'],
    [3, '%Z'],
  ],
};

/** A Joda-Time pattern (format_datetime, parse_datetime) as a DuckDB strftime/strptime format. */
export function jodaToStrftime(pattern: string, use: Use): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "'") {
      // '' is a quote; 'text' is literal text (a quote inside doubled).
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= pattern.length)
          throw new FormatNotSupportedError(`Unterminated quote in pattern: ${pattern}`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j++];
      }
      out += text.replace(/%/g, '%%');
      i = j + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      out += ch === '%' ? '%%' : ch;
      i++;
      continue;
    }
    let count = 1;
    while (pattern[i + count] === ch) count++;
    const rules = JODA[ch];
    const exact = ch === 'S' ? rules?.find(([n]) => n === count) : undefined;
    const rule = ch === 'S' ? exact : rules?.filter(([n]) => n <= count).pop();
    if (!rule) {
      throw new FormatNotSupportedError(
        `Pattern letter ${ch.repeat(count)} is not supported by the local Athena engine (in ${pattern})`,
      );
    }
    out += pick(rule[1], use);
    i += count;
  }
  return out;
}
