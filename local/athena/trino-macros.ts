/**
 * Trino functions that DuckDB spells differently, as DuckDB macros created in every sandbox, so that
 * queries written for Athena keep working. DuckDB already has many of Trino's (split_part,
 * element_at, date_trunc, ...).
 */
export const TRINO_MACROS: readonly string[] = [
  'approx_distinct(x) AS approx_count_distinct(x)',
  'approx_percentile(x, p) AS approx_quantile(x, p)',
  'regexp_like(s, p) AS regexp_matches(s, p)',
  'json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'from_iso8601_date(s) AS CAST(s AS DATE)',
  'from_unixtime(x) AS make_timestamp(CAST(x * 1000000 AS BIGINT))',
  'to_unixtime(t) AS epoch(t)',
];
