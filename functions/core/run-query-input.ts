import { clientRequestToken } from './execution-naming';

/** Athena StartQueryExecution request, as the state machine passes it to the native integration. */
export interface StartQueryExecutionRequest {
  readonly QueryString: string;
  readonly WorkGroup: string;
  readonly QueryExecutionContext: { readonly Database: string; readonly Catalog: string };
  readonly ClientRequestToken: string;
  readonly ExecutionParameters?: readonly string[];
}

/**
 * Input of one `run-query` execution. Built only from the message, so a duplicate delivery builds the
 * same input and Step Functions treats the second StartExecution as the first.
 */
export interface RunQueryInput {
  readonly queryId: string;
  readonly workgroup: string;
  readonly attempt: number;
  readonly startQueryExecution: StartQueryExecutionRequest;
}

/** Step Functions' limit on an execution's input (and on every state's data), in UTF-8 bytes. */
export const MAX_EXECUTION_INPUT_BYTES = 262_144;

export const DEFAULT_DATABASE = 'default';
export const DEFAULT_CATALOG = 'AwsDataCatalog';

/** What the execution needs from the ledger record and the class. */
export interface RunQuerySource {
  readonly queryId: string;
  readonly workgroup: string;
  readonly query: string;
  readonly database: string;
  readonly catalog: string;
  readonly executionParameters?: readonly string[];
}

export function buildRunQueryInput(
  source: RunQuerySource,
  attempt: number,
  athenaWorkGroup: string,
): RunQueryInput {
  return {
    queryId: source.queryId,
    workgroup: source.workgroup,
    attempt,
    startQueryExecution: {
      QueryString: source.query,
      WorkGroup: athenaWorkGroup,
      QueryExecutionContext: { Database: source.database, Catalog: source.catalog },
      ClientRequestToken: clientRequestToken(source.queryId, attempt),
      ...(source.executionParameters ? { ExecutionParameters: source.executionParameters } : {}),
    },
  };
}
