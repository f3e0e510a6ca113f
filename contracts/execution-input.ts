import { clientRequestToken } from './execution-naming';

/** Athena StartQueryExecution request, as the state machine passes it to the native integration. */
export interface StartQueryExecutionRequest {
  readonly QueryString: string;
  readonly WorkGroup: string;
  readonly QueryExecutionContext: { readonly Database: string; readonly Catalog: string };
  readonly ClientRequestToken: string;
  readonly ExecutionParameters?: readonly string[];
}

/** Where the execution waits for its slot: its place in its class's line and how long it may wait. */
export interface LinePlace {
  /** The query's submission time: its place in its class's line. */
  readonly submittedAt: string;
  /** When its class's maxQueueWaitMinutes runs out (ISO). */
  readonly waitUntil: string;
  /** The same, as the seconds left when the execution starts (EnterLine's TimeoutSecondsPath, >= 1). */
  readonly queueWaitSeconds: number;
}

/** Input of one `run-query` execution: what state-machines/run-query.asl.json reads from `$`. */
export interface RunQueryInput extends LinePlace {
  readonly queryId: string;
  readonly className: string;
  /**
   * The class under its previous name, which the state machine reads: the previous release's starter
   * writes only this, so a definition that read className would fail the executions such a starter
   * starts while a deploy updates the state machine before the functions (and this release's inputs
   * run on the previous definition in a rollback). Drop it once no running execution lacks className.
   */
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
  readonly className: string;
  readonly query: string;
  readonly database: string;
  readonly catalog: string;
  readonly executionParameters?: readonly string[];
}

export function buildRunQueryInput(
  source: RunQuerySource,
  attempt: number,
  athenaWorkGroup: string,
  place: LinePlace,
): RunQueryInput {
  return {
    queryId: source.queryId,
    className: source.className,
    workgroup: source.className,
    attempt,
    ...place,
    startQueryExecution: {
      QueryString: source.query,
      WorkGroup: athenaWorkGroup,
      QueryExecutionContext: { Database: source.database, Catalog: source.catalog },
      ClientRequestToken: clientRequestToken(source.queryId, attempt),
      ...(source.executionParameters ? { ExecutionParameters: source.executionParameters } : {}),
    },
  };
}
