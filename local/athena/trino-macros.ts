/**
 * Athena (Trino) functions whose DuckDB spelling or semantics differ, as DuckDB macros created in
 * every sandbox. The translation (trino-to-duckdb.ts) calls `__athena_<name>` for each name listed
 * here; typed overloads keep Trino's result types (date_add on a DATE is a DATE, not DuckDB's
 * TIMESTAMP). Semantics follow the Trino documentation of each function.
 */

/** The translation renames a call of each of these Athena functions to `__athena_<name>`. */
export const MACRO_FUNCTIONS: Readonly<Record<string, string>> = {
  // URL functions (java.net.URI parts; NULL when a part is absent).
  url_extract_protocol: `(u) AS nullif(regexp_extract(u, '^([A-Za-z][A-Za-z0-9+.-]*):', 1), '')`,
  url_extract_host: `(u) AS nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]*)', 1), '')`,
  url_extract_port: `(u) AS TRY_CAST(nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?[^/?#:]*:([0-9]+)', 1), '') AS BIGINT)`,
  url_extract_path: `(u) AS regexp_extract(u, '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?([^?#]*)', 1)`,
  url_extract_query: `(u) AS CASE WHEN regexp_matches(u, '^[^#]*[?]') THEN regexp_extract(u, '^[^?#]*[?]([^#]*)', 1) END`,
  url_extract_fragment: `(u) AS CASE WHEN strpos(u, '#') > 0 THEN regexp_extract(u, '#(.*)$', 1) END`,
  url_extract_parameter: `(u, name) AS list_extract(list_transform(list_filter(string_split(__athena_url_extract_query(u), '&'), p -> split_part(p, '=', 1) = name), p -> CASE WHEN strpos(p, '=') > 0 THEN substr(p, strpos(p, '=') + 1) ELSE '' END), 1)`,
  // Trino keeps . - * _ and encodes a space as +, ~ as %7E.
  url_encode: `(s) AS replace(replace(replace(url_encode(s), '%20', '+'), '~', '%7E'), '%2A', '*')`,
  url_decode: `(s) AS url_decode(replace(s, '+', ' '))`,

  // Date and time. Units are Trino's (millisecond ... year); the session time zone is UTC.
  date_add: [
    `(u, n, x DATE) AS CAST(x + __athena_interval(u, n) AS DATE)`,
    `(u, n, x TIMESTAMP) AS x + __athena_interval(u, n)`,
    `(u, n, x TIMESTAMPTZ) AS x + __athena_interval(u, n)`,
    `(u, n, x TIME) AS x + __athena_interval(u, n)`,
  ].join(', '),
  // Trino counts whole units elapsed, as DuckDB's date_sub does (date_diff counts boundaries).
  date_diff: `(u, a, b) AS date_sub(lower(u), a, b)`,
  date_trunc: [
    `(u, x DATE) AS CAST(date_trunc(lower(u), x) AS DATE)`,
    `(u, x TIMESTAMP) AS date_trunc(lower(u), x)`,
    `(u, x TIMESTAMPTZ) AS date_trunc(lower(u), x)`,
  ].join(', '),
  from_unixtime: `(x) AS to_timestamp(x)`,
  to_unixtime: `(x) AS CAST(epoch(x) AS DOUBLE)`,
  to_iso8601: [
    `(x DATE) AS strftime(x, '%Y-%m-%d')`,
    `(x TIMESTAMP) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%g')`,
    `(x TIMESTAMPTZ) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  ].join(', '),
  from_iso8601_timestamp: `(s) AS CAST(s AS TIMESTAMPTZ)`,
  from_iso8601_date: `(s) AS CAST(s AS DATE)`,
  date: `(x) AS CAST(x AS DATE)`,
  day_of_week: `(x) AS isodow(x)`,
  dow: `(x) AS isodow(x)`,
  day_of_month: `(x) AS day(x)`,
  day_of_year: `(x) AS dayofyear(x)`,
  doy: `(x) AS dayofyear(x)`,
  week_of_year: `(x) AS week(x)`,
  year_of_week: `(x) AS isoyear(x)`,
  yow: `(x) AS isoyear(x)`,
  last_day_of_month: `(x) AS last_day(x)`,
  millisecond: `(x) AS millisecond(x) % 1000`,
  current_timezone: `() AS 'UTC'`,

  // Arrays and maps.
  element_at: `(x, k) AS x[k]`,
  cardinality: `(x) AS CAST(CASE WHEN typeof(x) LIKE 'MAP(%' THEN len(json_keys(to_json(x))) ELSE json_array_length(to_json(x)) END AS BIGINT)`,
  contains: `(a, x) AS list_contains(a, x)`,
  array_position: `(a, x) AS coalesce(CAST(list_position(a, x) AS BIGINT), 0)`,
  array_join: [
    `(a, s) AS array_to_string(a, s)`,
    `(a, s, r) AS array_to_string(list_transform(a, e -> coalesce(CAST(e AS VARCHAR), r)), s)`,
  ].join(', '),
  // Trino keeps the first occurrence of each element, in order.
  array_distinct: `(a) AS list_filter(a, (e, i) -> list_position(a, e) = i)`,
  array_intersect: `(a, b) AS __athena_array_distinct(list_filter(a, e -> list_contains(b, e)))`,
  array_union: `(a, b) AS __athena_array_distinct(list_concat(a, b))`,
  array_except: `(a, b) AS __athena_array_distinct(list_filter(a, e -> NOT list_contains(b, e)))`,
  array_max: `(a) AS list_max(a)`,
  array_min: `(a) AS list_min(a)`,
  array_sort: `(a) AS list_sort(a, 'ASC', 'NULLS LAST')`,
  array_remove: `(a, x) AS list_filter(a, e -> e IS DISTINCT FROM x)`,
  arrays_overlap: `(a, b) AS list_has_any(a, b)`,
  slice: `(a, s, n) AS list_slice(a, s, s + n - 1)`,
  trim_array: `(a, n) AS list_slice(a, 1, len(a) - n)`,
  repeat: `(x, n) AS list_transform(generate_series(1, n), i -> x)`,
  sequence: [
    `(a, b) AS generate_series(a, b)`,
    `(a, b, c) AS generate_series(a, b, c)`,
    `(a DATE, b DATE) AS list_transform(generate_series(CAST(a AS TIMESTAMP), CAST(b AS TIMESTAMP), INTERVAL 1 DAY), d -> CAST(d AS DATE))`,
  ].join(', '),
  flatten: `(a) AS flatten(a)`,
  split: `(s, d) AS string_split(s, d)`,
  split_to_map: `(s, e, kv) AS map_from_entries(list_transform(string_split(s, e), p -> {'key': split_part(p, kv, 1), 'value': substr(p, strpos(p, kv) + length(kv))}))`,
  map_agg: `(k, v) AS map(list(k), list(v))`,

  // Strings and regular expressions (RE2 for Java's regex; Trino's $n references become \\n).
  regexp_extract: [
    `(s, p) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p) END`,
    `(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END`,
  ].join(', '),
  regexp_extract_all: [`(s, p) AS regexp_extract_all(s, p)`, `(s, p, g) AS regexp_extract_all(s, p, g)`].join(
    ', ',
  ),
  regexp_like: `(s, p) AS regexp_matches(s, p)`,
  regexp_replace: [
    `(s, p) AS regexp_replace(s, p, '', 'g')`,
    `(s, p, r) AS regexp_replace(s, p, regexp_replace(r, '[$]([0-9])', '\\\\\\1', 'g'), 'g')`,
  ].join(', '),
  regexp_split: `(s, p) AS regexp_split_to_array(s, p)`,
  regexp_count: `(s, p) AS CAST(len(regexp_extract_all(s, p)) AS BIGINT)`,
  levenshtein_distance: `(a, b) AS levenshtein(a, b)`,
  hamming_distance: `(a, b) AS hamming(a, b)`,
  codepoint: `(s) AS unicode(s)`,
  ends_with: `(s, x) AS suffix(s, x)`,
  to_utf8: `(s) AS encode(s)`,
  from_utf8: `(b) AS decode(b)`,
  to_hex: `(b) AS hex(b)`,
  from_hex: `(s) AS unhex(s)`,
  md5: `(b) AS unhex(md5(b))`,
  sha1: `(b) AS unhex(sha1(b))`,
  sha256: `(b) AS unhex(sha256(b))`,

  // JSON.
  json_extract_scalar: `(j, p) AS json_extract_string(j, p)`,
  json_array_length: `(j) AS CAST(json_array_length(j) AS BIGINT)`,
  json_array_get: `(j, i) AS json_extract(j, '$[' || i || ']')`,
  json_format: `(j) AS CAST(j AS VARCHAR)`,
  json_parse: `(s) AS CAST(s AS JSON)`,
  json_size: `(j, p) AS CAST(CASE json_type(j, p) WHEN 'ARRAY' THEN json_array_length(j, p) WHEN 'OBJECT' THEN len(json_keys(j, p)) ELSE 0 END AS BIGINT)`,
  json_array_contains: `(j, v) AS list_contains(from_json(j, '["VARCHAR"]'), CAST(v AS VARCHAR))`,
  is_json_scalar: `(j) AS json_type(j) NOT IN ('OBJECT', 'ARRAY')`,

  // Math and aggregates.
  approx_distinct: `(x) AS approx_count_distinct(x)`,
  approx_percentile: `(x, p) AS approx_quantile(x, p)`,
  geometric_mean: `(x) AS geomean(x)`,
  every: `(x) AS bool_and(x)`,
  e: `() AS exp(1)`,
  truncate: `(x) AS trunc(x)`,
  rand: `() AS random()`,
  is_nan: `(x) AS isnan(x)`,
  is_finite: `(x) AS isfinite(x)`,
  is_infinite: `(x) AS isinf(x)`,
  nan: `() AS CAST('NaN' AS DOUBLE)`,
  infinity: `() AS CAST('Infinity' AS DOUBLE)`,
  bitwise_and: `(x, y) AS (x & y)`,
  bitwise_or: `(x, y) AS (x | y)`,
  bitwise_xor: `(x, y) AS xor(x, y)`,
  bitwise_not: `(x) AS (~x)`,
  bitwise_left_shift: `(x, n) AS (x << n)`,
  bitwise_right_shift: `(x, n) AS (x >> n)`,
  bitwise_right_shift_arithmetic: `(x, n) AS (x >> n)`,
  bitwise_and_agg: `(x) AS bit_and(x)`,
  bitwise_or_agg: `(x) AS bit_or(x)`,
  to_milliseconds: `(i) AS CAST(epoch(i) * 1000 AS BIGINT)`,
};

/** Helpers the translation and the macros above call. */
const HELPERS: Readonly<Record<string, string>> = {
  interval: `(u, n) AS CASE lower(u) WHEN 'millisecond' THEN to_milliseconds(n) WHEN 'second' THEN to_seconds(n) WHEN 'minute' THEN to_minutes(n) WHEN 'hour' THEN to_hours(n) WHEN 'day' THEN to_days(n) WHEN 'week' THEN to_weeks(n) WHEN 'month' THEN to_months(n) WHEN 'quarter' THEN to_months(3 * n) WHEN 'year' THEN to_years(n) ELSE error('Invalid unit: ' || u) END`,
  // x + INTERVAL keeps the type of x, as in Trino (DuckDB makes DATE + INTERVAL a TIMESTAMP).
  plus: [
    `(x DATE, i INTERVAL) AS CAST(x + i AS DATE)`,
    `(x TIMESTAMP, i INTERVAL) AS x + i`,
    `(x TIMESTAMPTZ, i INTERVAL) AS x + i`,
    `(x TIME, i INTERVAL) AS x + i`,
  ].join(', '),
  minus: [
    `(x DATE, i INTERVAL) AS CAST(x - i AS DATE)`,
    `(x TIMESTAMP, i INTERVAL) AS x - i`,
    `(x TIMESTAMPTZ, i INTERVAL) AS x - i`,
    `(x TIME, i INTERVAL) AS x - i`,
  ].join(', '),
  with_tz: `(x) AS CAST(x AS TIMESTAMPTZ)`,
  not: `(x) AS NOT x`,
};

/** Names views stored before queries were translated may call (they ran as DuckDB SQL then). */
const LEGACY: readonly string[] = [
  'approx_distinct(x) AS approx_count_distinct(x)',
  'approx_percentile(x, p) AS approx_quantile(x, p)',
  'regexp_like(s, p) AS regexp_matches(s, p)',
  'json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'from_iso8601_date(s) AS CAST(s AS DATE)',
  'from_unixtime(x) AS make_timestamp(CAST(x * 1000000 AS BIGINT))',
  'to_unixtime(t) AS epoch(t)',
];

/** The CREATE MACRO statements a sandbox runs, helpers first (macros may call each other). */
export function macroStatements(): string[] {
  const all = { ...HELPERS, ...MACRO_FUNCTIONS };
  // Dependencies: url_extract_parameter uses url_extract_query; array_* use array_distinct.
  const order = Object.keys(all).sort((a, b) => rank(a) - rank(b));
  return [
    ...order.map((name) => `CREATE MACRO main.__athena_${name}${all[name]}`),
    ...LEGACY.map((macro) => `CREATE MACRO main.${macro}`),
  ];
}

function rank(name: string): number {
  if (name in HELPERS) return 0;
  return name === 'url_extract_query' || name === 'array_distinct' ? 1 : 2;
}
