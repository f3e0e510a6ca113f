import type { ResultPage } from './ports';

/** The parts of Athena's GetQueryResults answer a result page is made from. */
export interface GetQueryResultsShape {
  readonly ResultSet?: {
    readonly Rows?: readonly { readonly Data?: readonly { readonly VarCharValue?: string }[] }[];
    readonly ResultSetMetadata?: {
      readonly ColumnInfo?: readonly { readonly Name?: string; readonly Type?: string }[];
    };
  };
  readonly NextToken?: string;
}

/** Athena's largest GetQueryResults page. */
export const MAX_ATHENA_PAGE = 1000;

/**
 * The MaxResults to ask Athena for: on a SELECT's first page the header row counts toward MaxResults,
 * so one more is asked for, and the caller gets the rows it asked for (999 at Athena's largest page).
 */
export function athenaMaxResults(maxResults: number, firstPage: boolean): number {
  return Math.max(1, Math.min(MAX_ATHENA_PAGE, firstPage ? maxResults + 1 : maxResults));
}

/**
 * Turns a GetQueryResults answer (from Athena, or the local engine that answers in its shape) into the
 * API's page: column names and types, rows of values (null for SQL NULL), and the token of the next page.
 */
export function toResultPage(out: GetQueryResultsShape, firstPage: boolean): ResultPage {
  const columns = (out.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
    name: c.Name ?? '',
    type: c.Type ?? 'varchar',
  }));
  let rows = (out.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
  // The first row of a SELECT's first page repeats the column names.
  if (firstPage && rows.length > 0 && isHeader(rows[0], columns)) rows = rows.slice(1);
  return { columns, rows, ...(out.NextToken ? { nextToken: out.NextToken } : {}) };
}

function isHeader(row: readonly (string | null)[], columns: readonly { name: string }[]): boolean {
  return row.length === columns.length && row.every((value, i) => value === columns[i].name);
}
