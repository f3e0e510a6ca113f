import type { LocalAthena } from '../../../local/athena';
import {
  FormatNotSupportedError,
  jodaToStrftime,
  mysqlToStrftime,
} from '../../../local/athena/datetime-formats';
import { alignmentMap } from '../../../local/athena/token-alignment';
import { translateQuery } from '../../../local/athena/translate';
import { initTranspiler } from '../../../local/athena/trino-to-duckdb';
import { openAthena, rows, run, tempDataDir } from './helpers';

describe('date and time patterns', () => {
  it('turns MySQL specifiers into strftime, unpadded numbers included', () => {
    expect(mysqlToStrftime('%Y-%m-%d %H:%i:%s.%f', 'format')).toBe('%Y-%m-%d %H:%M:%S.%f');
    expect(mysqlToStrftime('%b %e, %Y %l:%i %p %W %M %j %%', 'format')).toBe(
      '%b %-d, %Y %-I:%M %p %A %B %j %%',
    );
    expect(mysqlToStrftime('%e/%c/%Y %k', 'parse')).toBe('%d/%m/%Y %H');
    expect(mysqlToStrftime('%T %r', 'format')).toBe('%H:%M:%S %I:%M:%S %p');
    expect(() => mysqlToStrftime('%D', 'format')).toThrow(FormatNotSupportedError);
  });

  it('turns Joda patterns into strftime, quoted text and run lengths included', () => {
    expect(jodaToStrftime("yyyy-MM-dd'T'HH:mm:ss.SSS", 'format')).toBe('%Y-%m-%dT%H:%M:%S.%g');
    expect(jodaToStrftime('EEE, d MMM yy h:mm a', 'format')).toBe('%a, %-d %b %y %-I:%M %p');
    expect(jodaToStrftime('EEEE MMMM D', 'format')).toBe('%A %B %-j');
    expect(jodaToStrftime("dd/MMM/yyyy:HH:mm:ss Z 'it''s' 100%", 'parse')).toBe(
      "%d/%b/%Y:%H:%M:%S %z it's 100%%",
    );
    expect(jodaToStrftime("''", 'format')).toBe("'");
    expect(() => jodaToStrftime('kk:mm', 'format')).toThrow(/Pattern letter kk is not supported/);
    expect(() => jodaToStrftime("'open", 'format')).toThrow(/Unterminated quote/);
  });
});

describe('position alignment', () => {
  it('maps a token of the translation to its partner, renamed calls included', () => {
    const from = 'SELECT transform(a, x -> x + 1) FROM t WHERE b = 2';
    const to = 'SELECT LIST_TRANSFORM(a, x -> x + 1) FROM t WHERE b = 2';
    const map = alignmentMap(from, to, new Map([['transform', new Set(['list_transform'])]]));
    expect(map(to.indexOf('LIST_TRANSFORM'))).toBe(from.indexOf('transform'));
    expect(map(to.indexOf('WHERE') + 2)).toBe(from.indexOf('WHERE') + 2);
    expect(map(to.lastIndexOf('2'))).toBe(from.lastIndexOf('2'));
    expect(map(to.length + 5)).toBe(from.length);
  });

  it('points an unmatched name at the name before its next matched token', () => {
    const from = 'SELECT cardinality(a) FROM t';
    const to = 'SELECT ARRAY_LENGTH(a) FROM t';
    expect(alignmentMap(from, to)(to.indexOf('ARRAY_LENGTH'))).toBe(from.indexOf('cardinality'));
  });
});

describe('translation', () => {
  beforeAll(() => initTranspiler());

  it('calls DuckDB functions by name without touching strings that look like them', () => {
    expect(translateQuery("SELECT transform(a, x -> x), '__duckdb_x' FROM t").sql).toBe(
      "SELECT LIST_TRANSFORM(a, x -> x), '__duckdb_x' FROM t",
    );
  });

  it('keeps what it cannot parse for DuckDB, and EXPLAIN options as written', () => {
    expect(translateQuery('SELECT * FORM readings').sql).toBe('SELECT * FORM readings');
    const explained = translateQuery('EXPLAIN (TYPE DISTRIBUTED) SELECT url_decode(u) FROM t');
    expect(explained.sql).toMatch(/^EXPLAIN \(TYPE DISTRIBUTED\) SELECT __ATHENA_URL_DECODE\(u\) FROM t$/i);
  });
});

describe('Athena SQL errors', () => {
  let data: ReturnType<typeof tempDataDir>;
  let athena: LocalAthena;

  beforeAll(async () => {
    data = tempDataDir();
    athena = await openAthena(data.dir);
  });

  afterAll(async () => {
    await athena.close();
    data.cleanup();
  });

  const reason = async (sql: string) => (await run(athena, sql)).Status?.StateChangeReason;

  it.each([
    [
      'a DuckDB-only function',
      'SELECT list_sort(ARRAY[2, 1])',
      "FUNCTION_NOT_FOUND: line 1:8: Function 'list_sort' not registered",
    ],
    [
      'an unknown function',
      'SELECT 1 AS a,\n  foo_bar(1)',
      "FUNCTION_NOT_FOUND: line 2:3: Function 'foo_bar' not registered",
    ],
    [
      'an Athena function the engine cannot run',
      'SELECT ST_Point(1, 2)',
      "FUNCTION_NOT_FOUND: line 1:8: Function 'st_point' is not supported by the local Athena engine (it runs on Athena)",
    ],
    [
      'wrong argument types',
      'SELECT bit_count(7, 64)',
      'FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters (integer_literal, integer_literal) for function bit_count',
    ],
    [
      'wrong arguments for a macro',
      "SELECT date_add('day', 1, 'not a date')",
      'FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters for function date_add',
    ],
    [
      'wrong arguments inside a macro',
      'SELECT url_extract_host(1)',
      'FUNCTION_NOT_FOUND: Unexpected parameters (integer_literal, string_literal, integer_literal) in a function call',
    ],
    [
      'a helper of the translation',
      'SELECT __athena_interval(1)',
      "FUNCTION_NOT_FOUND: line 1:8: Function '__athena_interval' not registered",
    ],
    [
      'a pattern that is not a literal',
      "SELECT date_parse(s, p) FROM (VALUES ('2024', '%Y')) AS t(s, p)",
      'NOT_SUPPORTED: line 1:8: date_parse takes a value and a string literal pattern in the local Athena engine',
    ],
    [
      'a pattern letter DuckDB cannot render',
      "SELECT format_datetime(TIMESTAMP '2024-05-01 00:00:00', 'kk')",
      'INVALID_FUNCTION_ARGUMENT: line 1:8: Pattern letter kk is not supported by the local Athena engine (in kk)',
    ],
    [
      'backquoted identifiers',
      'SELECT 1 AS `a`',
      'SYNTAX_ERROR: line 1:13: backquoted identifiers are not supported; use double quotes to quote identifiers',
    ],
  ])('%s', async (_what, sql, expected) => {
    const why = await reason(sql);
    expect(why).toBe(expected);
    expect(why).not.toMatch(/Did you mean|Candidate/);
  });

  it.each([
    [
      'after a rewritten call',
      "SELECT date_format(ts, '%Y'),\n  missing FROM (VALUES TIMESTAMP '2024-05-01 00:00:00') AS t(ts)",
      'line 2:3',
    ],
    ['inside a lambda', 'SELECT transform(ARRAY[1], x -> x +\n   missing)', 'line 2:4'],
    [
      'after a typed literal and an interval',
      "SELECT DATE '2024-05-01' + INTERVAL '1' DAY, missing",
      'line 1:46',
    ],
    ['in a map function', "SELECT map_filter(MAP(ARRAY['a'], ARRAY[1]), (k, v) -> v > missing)", 'line 1:60'],
  ])('points at a missing column %s', async (_where, sql, position) => {
    expect(await reason(sql)).toMatch(new RegExp(`^COLUMN_NOT_FOUND: ${position}: `));
  });

  it('runs lambdas, patterns and intervals in views and CTAS too', async () => {
    await rows(
      athena,
      "CREATE VIEW shaped AS SELECT transform(ARRAY[1, 2], x -> x * 3) AS t, date_format(DATE '2024-05-01' + INTERVAL '1' DAY, '%Y/%m/%d') AS d",
    );
    expect(await rows(athena, 'SELECT t, d FROM shaped')).toEqual([
      ['t', 'd'],
      ['[3, 6]', '2024/05/02'],
    ]);
    await rows(
      athena,
      "CREATE TABLE copied AS SELECT url_extract_host('https://a.example/x') AS host, d FROM shaped",
    );
    expect(await rows(athena, 'SELECT host, d FROM copied')).toEqual([
      ['host', 'd'],
      ['a.example', '2024/05/02'],
    ]);
  });
});
