/**
 * Function reference examples (Trino documentation, as Athena engine 3 runs them), with the values
 * Athena returns: arrays `[a, b]`, maps `{k=v}`, doubles as Java prints them, timestamps with
 * milliseconds, NULL as null.
 */
import type { CorpusQuery } from './corpus-query';

const q = (name: string, sql: string, expected: (string | null)[][], types?: string[]): CorpusQuery => ({
  name,
  sql,
  expected,
  ...(types ? { types } : {}),
});

const URL = 'https://docs.aws.amazon.com/athena/latest/ug/functions.html?lang=en#top';

export const FUNCTION_QUERIES: readonly CorpusQuery[] = [
  // Strings.
  q('substr is 1-based', "SELECT substr('Athena SQL', 2, 5)", [['thena']], ['varchar']),
  q(
    'strpos and length',
    "SELECT strpos('athena', 'e'), length('athena')",
    [['4', '6']],
    ['bigint', 'bigint'],
  ),
  q('lpad and rpad', "SELECT lpad('7', 3, '0'), rpad('ab', 4, '.')", [['007', 'ab..']]),
  q('split', "SELECT split('a,b,c', ',')", [['[a, b, c]']], ['array']),
  q('split_part', "SELECT split_part('2024-05-01', '-', 2)", [['05']]),
  q('concat and concat_ws', "SELECT concat_ws('-', 'a', 'b', 'c'), concat('x', 'y', 'z')", [
    ['a-b-c', 'xyz'],
  ]),
  q('replace with and without a replacement', "SELECT replace('abcabc', 'b', 'x'), replace('abcabc', 'b')", [
    ['axcaxc', 'acac'],
  ]),
  q('upper, lower, reverse', "SELECT upper('athena'), lower('ATHENA'), reverse('abc')", [
    ['ATHENA', 'athena', 'cba'],
  ]),
  q('trim, ltrim, rtrim', "SELECT trim('  a  '), ltrim('  a'), rtrim('a  ')", [['a', 'a', 'a']]),
  q(
    'starts_with and ends_with',
    "SELECT starts_with('athena', 'ath'), ends_with('athena', 'na')",
    [['true', 'true']],
    ['boolean', 'boolean'],
  ),
  q(
    'levenshtein_distance and hamming_distance',
    "SELECT levenshtein_distance('kitten', 'sitting'), hamming_distance('abc', 'abd')",
    [['3', '1']],
  ),
  q('regexp_extract', String.raw`SELECT regexp_extract('1a 2b 14m', '\d+')`, [['1']]),
  q('regexp_extract of a group', String.raw`SELECT regexp_extract('1a 2b 14m', '(\d+)([a-z]+)', 2)`, [['a']]),
  q('regexp_extract without a match is null', String.raw`SELECT regexp_extract('abc', '\d+')`, [[null]]),
  q('regexp_extract_all', String.raw`SELECT regexp_extract_all('1a 2b 14m', '\d+')`, [['[1, 2, 14]']]),
  q('regexp_like', String.raw`SELECT regexp_like('1a 2b 14m', '\d+b')`, [['true']]),
  q('regexp_replace removes', String.raw`SELECT regexp_replace('1a 2b 14m', '\d+[ab] ')`, [['14m']]),
  q(
    'regexp_replace with a group reference',
    String.raw`SELECT regexp_replace('1a 2b 14m', '(\d+)([ab]) ', '3c$2 ')`,
    [['3ca 3cb 14m']],
  ),
  q('regexp_split', String.raw`SELECT regexp_split('1a 2b 14m', '\s*[a-z]+\s*')`, [['[1, 2, 14, ]']]),
  q('regexp_count', String.raw`SELECT regexp_count('1a 2b 14m', '\s*[a-z]+\s*')`, [['3']]),
  q('chr and codepoint', "SELECT chr(65), codepoint('A')", [['A', '65']]),
  q('format', "SELECT format('%s-%03d', 'x', 7)", [['x-007']]),
  q('position', "SELECT position('na' IN 'athena')", [['5']]),
  q('translate', "SELECT translate('abcd', 'ac', 'xy')", [['xbyd']]),

  // URLs.
  q(
    'url_extract_host, path, protocol, query, fragment',
    `SELECT url_extract_host('${URL}'), url_extract_path('${URL}'), url_extract_protocol('${URL}'),
            url_extract_query('${URL}'), url_extract_fragment('${URL}')`,
    [['docs.aws.amazon.com', '/athena/latest/ug/functions.html', 'https', 'lang=en', 'top']],
  ),
  q(
    'url_extract_port',
    "SELECT url_extract_port('http://example.com:8080/a'), url_extract_port('http://example.com/a')",
    [['8080', null]],
    ['bigint', 'bigint'],
  ),
  q(
    'url_extract_parameter',
    "SELECT url_extract_parameter('http://example.com/p?a=1&b=2&a=3', 'a'), url_extract_parameter('http://example.com/p?a=1', 'z')",
    [['1', null]],
  ),
  q('url_encode and url_decode', "SELECT url_encode('a b&c=d/é~*'), url_decode('a+b%26c%3Dd%2F%C3%A9')", [
    ['a+b%26c%3Dd%2F%C3%A9%7E*', 'a b&c=d/é'],
  ]),
  q(
    'absent URL parts',
    "SELECT url_extract_query('http://example.com/p'), url_extract_path('http://example.com')",
    [[null, '']],
  ),

  // Dates and times.
  q(
    'date_format with MySQL specifiers',
    "SELECT date_format(TIMESTAMP '2024-05-01 13:04:05.321', '%Y-%m-%d %H:%i:%s')",
    [['2024-05-01 13:04:05']],
  ),
  q(
    'date_format with names and unpadded numbers',
    "SELECT date_format(TIMESTAMP '2024-05-01 13:04:05', '%b %e, %Y %l:%i %p')",
    [['May 1, 2024 1:04 PM']],
  ),
  q(
    'date_format of weekday, month and day of year',
    "SELECT date_format(TIMESTAMP '2024-05-01 13:04:05', '%W %M %j')",
    [['Wednesday May 122']],
  ),
  q(
    'date_parse',
    "SELECT date_parse('2024-05-01 13:04:05', '%Y-%m-%d %H:%i:%s')",
    [['2024-05-01 13:04:05.000']],
    ['timestamp'],
  ),
  q('date_parse of a day-first date', "SELECT date_parse('01/05/2024', '%d/%m/%Y')", [
    ['2024-05-01 00:00:00.000'],
  ]),
  q(
    'format_datetime with a quoted literal',
    "SELECT format_datetime(TIMESTAMP '2024-05-01 13:04:05', 'yyyy-MM-dd''T''HH:mm:ss')",
    [['2024-05-01T13:04:05']],
  ),
  q(
    'format_datetime with names and a 12-hour clock',
    "SELECT format_datetime(TIMESTAMP '2024-05-01 13:04:05', 'EEE, dd MMM yyyy h:mm a')",
    [['Wed, 01 May 2024 1:04 PM']],
  ),
  q(
    'parse_datetime',
    "SELECT parse_datetime('2024-05-01 13:04:05', 'yyyy-MM-dd HH:mm:ss')",
    [['2024-05-01 13:04:05.000 UTC']],
    ['timestamp with time zone'],
  ),
  q(
    'parse_datetime of a CLF timestamp with an offset',
    "SELECT parse_datetime('01/May/2024:13:04:05 +0000', 'dd/MMM/yyyy:HH:mm:ss Z')",
    [['2024-05-01 13:04:05.000 UTC']],
  ),
  q('from_unixtime', 'SELECT from_unixtime(1714568645)', [['2024-05-01 13:04:05.000 UTC']]),
  q('to_unixtime', "SELECT to_unixtime(TIMESTAMP '2024-05-01 13:04:05')", [['1.714568645E9']], ['double']),
  q('to_iso8601', "SELECT to_iso8601(TIMESTAMP '2024-05-01 13:04:05.321'), to_iso8601(DATE '2024-05-01')", [
    ['2024-05-01T13:04:05.321', '2024-05-01'],
  ]),
  q(
    'from_iso8601_timestamp and from_iso8601_date',
    "SELECT from_iso8601_timestamp('2024-05-01T13:04:05Z'), from_iso8601_date('2024-05-01')",
    [['2024-05-01 13:04:05.000 UTC', '2024-05-01']],
    ['timestamp with time zone', 'date'],
  ),
  q(
    'date_add keeps dates dates',
    "SELECT date_add('day', 3, DATE '2024-05-30'), date_add('hour', -2, TIMESTAMP '2024-05-01 01:00:00')",
    [['2024-06-02', '2024-04-30 23:00:00.000']],
    ['date', 'timestamp'],
  ),
  q(
    'date_diff counts whole units',
    "SELECT date_diff('day', DATE '2024-05-01', DATE '2024-06-01'), date_diff('hour', TIMESTAMP '2024-05-01 00:00:00', TIMESTAMP '2024-05-01 05:30:00')",
    [['31', '5']],
  ),
  q(
    'date_trunc',
    "SELECT date_trunc('month', DATE '2024-05-17'), date_trunc('hour', TIMESTAMP '2024-05-17 13:45:10')",
    [['2024-05-01', '2024-05-17 13:00:00.000']],
    ['date', 'timestamp'],
  ),
  q(
    'typed literals plus an interval',
    "SELECT DATE '2024-01-31' + INTERVAL '1' MONTH, TIMESTAMP '2024-05-01 23:30:00' + INTERVAL '45' MINUTE",
    [['2024-02-29', '2024-05-02 00:15:00.000']],
    ['date', 'timestamp'],
  ),
  q(
    'typed literals minus an interval',
    "SELECT DATE '2024-03-01' - INTERVAL '1' DAY, TIMESTAMP '2024-03-01 00:00:00' - INTERVAL '1' YEAR",
    [['2024-02-29', '2023-03-01 00:00:00.000']],
  ),
  q(
    'date parts',
    "SELECT year(DATE '2024-05-01'), month(DATE '2024-05-01'), day(DATE '2024-05-01'), day_of_week(DATE '2024-05-01'), day_of_year(DATE '2024-05-01'), quarter(DATE '2024-05-01')",
    [['2024', '5', '1', '3', '122', '2']],
  ),
  q(
    'time parts',
    "SELECT hour(TIMESTAMP '2024-05-01 13:04:05.321'), minute(TIMESTAMP '2024-05-01 13:04:05.321'), second(TIMESTAMP '2024-05-01 13:04:05.321'), millisecond(TIMESTAMP '2024-05-01 13:04:05.321')",
    [['13', '4', '5', '321']],
  ),
  q(
    'week, year_of_week, last_day_of_month',
    "SELECT week(DATE '2024-05-01'), year_of_week(DATE '2024-12-30'), last_day_of_month(DATE '2024-02-10')",
    [['18', '2025', '2024-02-29']],
  ),
  q(
    'extract',
    "SELECT extract(year FROM TIMESTAMP '2024-05-01 13:04:05'), extract(hour FROM TIMESTAMP '2024-05-01 13:04:05')",
    [['2024', '13']],
  ),
  q(
    'casts to date and timestamp',
    "SELECT CAST('2024-05-01' AS DATE), CAST('2024-05-01 13:04:05' AS TIMESTAMP)",
    [['2024-05-01', '2024-05-01 13:04:05.000']],
  ),

  // Arrays.
  q(
    'element_at on arrays',
    'SELECT element_at(ARRAY[1, 2, 3], 2), element_at(ARRAY[1, 2, 3], -1), element_at(ARRAY[1, 2, 3], 5)',
    [['2', '3', null]],
  ),
  q(
    'cardinality of an array and a map',
    "SELECT cardinality(ARRAY[1, 2, 3]), cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))",
    [['3', '2']],
    ['bigint', 'bigint'],
  ),
  q('contains', "SELECT contains(ARRAY[1, 2, 3], 2), contains(ARRAY['a'], 'b')", [['true', 'false']]),
  q(
    'array_join and array_position',
    "SELECT array_join(ARRAY['a', 'b', 'c'], '/'), array_position(ARRAY[10, 20], 20), array_position(ARRAY[10], 5)",
    [['a/b/c', '2', '0']],
  ),
  q(
    'array_distinct, array_sort, array_max, array_min',
    'SELECT array_distinct(ARRAY[3, 1, 3, 2, 1]), array_sort(ARRAY[3, 1, 2]), array_max(ARRAY[3, 1, 2]), array_min(ARRAY[3, 1, 2])',
    [['[3, 1, 2]', '[1, 2, 3]', '3', '1']],
  ),
  q(
    'array_intersect, array_union, array_except',
    'SELECT array_intersect(ARRAY[1, 2, 3], ARRAY[2, 3, 4]), array_union(ARRAY[1, 2], ARRAY[2, 3]), array_except(ARRAY[1, 2, 3], ARRAY[2])',
    [['[2, 3]', '[1, 2, 3]', '[1, 3]']],
  ),
  q(
    'slice, flatten, array_remove',
    'SELECT slice(ARRAY[1, 2, 3, 4, 5], 2, 3), flatten(ARRAY[ARRAY[1, 2], ARRAY[3]]), array_remove(ARRAY[1, 2, 1], 1)',
    [['[2, 3, 4]', '[1, 2, 3]', '[2]']],
  ),
  q(
    'sequence of numbers and dates',
    "SELECT sequence(1, 5), sequence(10, 0, -5), sequence(DATE '2024-05-01', DATE '2024-05-03')",
    [['[1, 2, 3, 4, 5]', '[10, 5, 0]', '[2024-05-01, 2024-05-02, 2024-05-03]']],
  ),
  q('array concatenation and subscript', 'SELECT ARRAY[1, 2] || ARRAY[3], ARRAY[10, 20, 30][2]', [
    ['[1, 2, 3]', '20'],
  ]),
  q(
    'transform and filter',
    'SELECT transform(ARRAY[1, 2, 3], x -> x * 2), filter(ARRAY[1, 2, 3, 4], x -> x % 2 = 0)',
    [['[2, 4, 6]', '[2, 4]']],
  ),
  q(
    'reduce with an output function',
    'SELECT reduce(ARRAY[5, 20, 50], 0, (s, x) -> s + x, s -> s), reduce(ARRAY[1, 2, 3], 1, (s, x) -> s * x, s -> s * 10)',
    [['75', '60']],
  ),
  q(
    'any_match, all_match, none_match',
    'SELECT any_match(ARRAY[1, 2, 3], x -> x > 2), all_match(ARRAY[1, 2, 3], x -> x > 0), none_match(ARRAY[1, 2, 3], x -> x > 5)',
    [['true', 'true', 'true']],
  ),
  q(
    'UNNEST WITH ORDINALITY',
    "SELECT x, n FROM UNNEST(ARRAY['a', 'b', 'c']) WITH ORDINALITY AS t(x, n) ORDER BY n",
    [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ],
  ),
  q(
    'CROSS JOIN UNNEST',
    "SELECT id, tag FROM (VALUES (1, ARRAY['x', 'y']), (2, ARRAY['z'])) AS t(id, tags) CROSS JOIN UNNEST(tags) AS u(tag) ORDER BY id, tag",
    [
      ['1', 'x'],
      ['1', 'y'],
      ['2', 'z'],
    ],
  ),
  q('arrays_overlap and repeat', "SELECT arrays_overlap(ARRAY[1, 2], ARRAY[2, 3]), repeat('ab', 3)", [
    ['true', '[ab, ab, ab]'],
  ]),

  // Maps.
  q(
    'map_keys and map_values',
    "SELECT map_keys(MAP(ARRAY['a', 'b'], ARRAY[1, 2])), map_values(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))",
    [['[a, b]', '[1, 2]']],
  ),
  q(
    'element_at and subscript on maps',
    "SELECT element_at(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), 'b'), MAP(ARRAY['a'], ARRAY[1])['a']",
    [['2', '1']],
  ),
  q(
    'transform_values and transform_keys',
    "SELECT transform_values(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), (k, v) -> v * 10), transform_keys(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), (k, v) -> upper(k))",
    [['{a=10, b=20}', '{A=1, B=2}']],
    ['map', 'map'],
  ),
  q('map_filter', "SELECT map_filter(MAP(ARRAY['a', 'b', 'c'], ARRAY[1, 2, 3]), (k, v) -> v > 1)", [
    ['{b=2, c=3}'],
  ]),
  q('map_concat', "SELECT map_concat(MAP(ARRAY['a'], ARRAY[1]), MAP(ARRAY['b'], ARRAY[2]))", [
    ['{a=1, b=2}'],
  ]),
  q('map_agg', "SELECT map_agg(k, v) FROM (VALUES ('a', 1), ('b', 2)) AS t(k, v)", [['{a=1, b=2}']]),
  q('split_to_map', "SELECT split_to_map('a=1,b=2', ',', '=')", [['{a=1, b=2}']]),

  // Conditional expressions and casts.
  q(
    'try and try_cast',
    "SELECT try(CAST('abc' AS integer)), try_cast('12' AS integer), try_cast('x' AS integer)",
    [[null, '12', null]],
    ['integer', 'integer', 'integer'],
  ),
  q(
    'if, coalesce, nullif',
    "SELECT if(1 > 0, 'yes', 'no'), if(1 < 0, 'yes'), coalesce(NULL, 'b'), nullif(1, 1)",
    [['yes', null, 'b', null]],
  ),
  q(
    'CASE, greatest, least',
    "SELECT CASE WHEN 2 > 1 THEN 'a' ELSE 'b' END, greatest(1, 5, 3), least(1, 5, 3)",
    [['a', '5', '1']],
  ),
  q(
    'integer division and modulo',
    'SELECT 7 / 2, 7 % 3, -7 / 2, CAST(7 AS double) / 2',
    [['3', '1', '-3', '3.5']],
    ['integer', 'integer', 'integer', 'double'],
  ),
  q(
    'casts',
    "SELECT CAST(12.345 AS DECIMAL(5, 2)), CAST(3 AS double), CAST(1 AS varchar), CAST('true' AS boolean)",
    [['12.35', '3.0', '1', 'true']],
    ['decimal', 'double', 'varchar', 'boolean'],
  ),
  q(
    'a row and its fields',
    "SELECT CAST(ROW(1, 'a') AS ROW(id INTEGER, name VARCHAR)), CAST(ROW(1, 'a') AS ROW(id INTEGER, name VARCHAR)).name",
    [['{id=1, name=a}', 'a']],
    ['row', 'varchar'],
  ),

  // Math.
  q('rounding', 'SELECT abs(-3), ceil(1.2e0), floor(1.8e0), round(2.567e0, 2), truncate(2.9e0), mod(7, 3)', [
    ['3', '2.0', '1.0', '2.57', '2.0', '1'],
  ]),
  q('powers and logarithms', 'SELECT power(2, 10), sqrt(16), cbrt(8), ln(e()), log10(1000), log2(8)', [
    ['1024.0', '4.0', '2.0', '1.0', '3.0', '3.0'],
  ]),
  q('constants and checks', 'SELECT pi(), sign(-2), is_nan(nan()), is_finite(1e0), infinity() > 1e308', [
    ['3.141592653589793', '-1', 'true', 'true', 'true'],
  ]),
  q('bitwise functions', 'SELECT bitwise_and(12, 10), bitwise_or(12, 10), bitwise_xor(12, 10)', [
    ['8', '14', '6'],
  ]),

  // Aggregates and windows.
  q(
    'count, count_if, sum, avg, min, max',
    'SELECT count(*), count_if(x > 2), sum(x), avg(x), min(x), max(x) FROM UNNEST(ARRAY[1, 2, 3, 4]) AS t(x)',
    [['4', '2', '10', '2.5', '1', '4']],
    ['bigint', 'bigint', 'bigint', 'double', 'integer', 'integer'],
  ),
  q('approx_distinct', "SELECT approx_distinct(x) FROM UNNEST(ARRAY['a', 'b', 'a', 'c']) AS t(x)", [['3']]),
  q('approx_percentile', 'SELECT approx_percentile(x, 0.5) FROM UNNEST(ARRAY[5, 5, 5, 5, 5, 1, 9]) AS t(x)', [
    ['5'],
  ]),
  q(
    'array_agg, max_by, min_by',
    "SELECT array_agg(x ORDER BY x DESC), max_by(name, score), min_by(name, score) FROM (VALUES (1, 'a', 10), (2, 'b', 30), (3, 'c', 20)) AS t(x, name, score)",
    [['[3, 2, 1]', 'b', 'a']],
  ),
  q(
    'bool_and, bool_or, every',
    'SELECT bool_and(x > 0), bool_or(x > 2), every(x > 1) FROM UNNEST(ARRAY[1, 2, 3]) AS t(x)',
    [['true', 'true', 'false']],
  ),
  q(
    'stddev_samp and variance',
    'SELECT stddev_samp(x), variance(x) FROM UNNEST(ARRAY[2e0, 4e0, 4e0, 4e0, 5e0, 5e0, 7e0, 9e0]) AS t(x)',
    [['2.138089935299395', '4.571428571428571']],
  ),
  q('listagg', "SELECT listagg(x, ',') WITHIN GROUP (ORDER BY x) FROM (VALUES 'b', 'a', 'c') AS t(x)", [
    ['a,b,c'],
  ]),
  q(
    'row_number, rank and a partitioned sum',
    "SELECT x, row_number() OVER (ORDER BY x DESC), rank() OVER (ORDER BY g), sum(x) OVER (PARTITION BY g) FROM (VALUES (1, 'a'), (2, 'a'), (3, 'b')) AS t(x, g) ORDER BY x",
    [
      ['1', '3', '1', '3'],
      ['2', '2', '1', '3'],
      ['3', '1', '3', '3'],
    ],
  ),
  q(
    'lag and lead',
    'SELECT x, lag(x) OVER (ORDER BY x), lead(x, 1, 0) OVER (ORDER BY x) FROM UNNEST(ARRAY[1, 2, 3]) AS t(x) ORDER BY x',
    [
      ['1', null, '2'],
      ['2', '1', '3'],
      ['3', '2', '0'],
    ],
  ),
  q(
    'GROUP BY ROLLUP',
    "SELECT g, sum(x) FROM (VALUES ('a', 1), ('a', 2), ('b', 3)) AS t(g, x) GROUP BY ROLLUP (g) ORDER BY g NULLS LAST",
    [
      ['a', '3'],
      ['b', '3'],
      [null, '6'],
    ],
  ),
  q(
    'count DISTINCT and a CTE',
    'WITH t AS (SELECT 1 AS a UNION ALL SELECT 1 UNION ALL SELECT 2) SELECT count(DISTINCT a), sum(a) FROM t',
    [['2', '4']],
  ),

  // JSON and binary.
  q(
    'json_extract_scalar and json_array_length',
    `SELECT json_extract_scalar('{"a": {"b": 42}}', '$.a.b'), json_array_length('[1, 2, 3]')`,
    [['42', '3']],
  ),
  q('json_format of json_extract', `SELECT json_format(json_extract('{"a": [1, 2]}', '$.a'))`, [['[1,2]']]),
  q('json_parse', `SELECT json_extract_scalar(json_parse('{"name": "Ann"}'), '$.name')`, [['Ann']]),
  q(
    'to_hex, from_hex, to_utf8, from_utf8, to_base64',
    "SELECT to_hex(to_utf8('Athena')), from_utf8(from_hex('417468656E61')), to_base64(to_utf8('a'))",
    [['417468656E61', 'Athena', 'YQ==']],
  ),
  q('md5 and sha256', "SELECT to_hex(md5(to_utf8('a'))), to_hex(sha256(to_utf8('a')))", [
    ['0CC175B9C0F1B6A831C399E269772661', 'CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB'],
  ]),

  // What the local engine does not run: FUNCTION_NOT_FOUND, naming the Athena function.
  {
    name: 'geospatial: ST_Point',
    sql: 'SELECT ST_Point(1, 2)',
    unsupported: /^FUNCTION_NOT_FOUND: line 1:8: Function 'st_point' is not supported/,
  },
  {
    name: 'typeof',
    sql: 'SELECT typeof(1)',
    unsupported: /^FUNCTION_NOT_FOUND: .*'typeof' is not supported/,
  },
  {
    name: 'HyperLogLog sketches: approx_set',
    sql: 'SELECT cardinality(approx_set(x)) FROM UNNEST(ARRAY[1]) AS t(x)',
    unsupported: /^FUNCTION_NOT_FOUND: .*'approx_set' is not supported/,
  },
  {
    name: 'zip',
    sql: "SELECT zip(ARRAY[1], ARRAY['a'])",
    unsupported: /^FUNCTION_NOT_FOUND: .*'zip' is not supported/,
  },
  {
    name: 'human_readable_seconds',
    sql: 'SELECT human_readable_seconds(90)',
    unsupported: /^FUNCTION_NOT_FOUND: .*'human_readable_seconds' is not supported/,
  },
  {
    name: 'Teradata functions: to_char',
    sql: "SELECT to_char(TIMESTAMP '2024-05-01 00:00:00', 'yyyy')",
    unsupported: /^FUNCTION_NOT_FOUND: .*'to_char' is not supported/,
  },
];
