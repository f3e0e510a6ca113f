/** A local Amazon Athena on DuckDB (see README.md in this folder). */
export { AthenaServiceError, CONCURRENT_QUERY_LIMIT_MESSAGE } from './errors';
export type { QueryState } from './execution-store';
export {
  type GetQueryResultsOutput,
  LocalAthena,
  type LocalAthenaOptions,
  type LocalWorkGroup,
  type StartQueryExecutionInput,
} from './local-athena';
export type { AthenaColumnInfo } from './result-format';
export { ensureSampleData, SAMPLE_BUCKET, type SampleDataOptions } from './sample-data';
