/** One query of the Athena SQL corpus and what it must return. */
export type Rows = readonly (readonly (string | null)[])[];

export interface CorpusQuery {
  readonly name: string;
  /** Athena SQL, unchanged. */
  readonly sql: string;
  /** Rows as Athena returns them (no header), or a DuckDB query over the truth tables giving them as text. */
  readonly expected?: Rows | { readonly duckdb: string };
  /** Athena types of the result columns, when the entry checks them. */
  readonly types?: readonly string[];
  /** The entry is known not to run locally: it must fail with a reason matching this. */
  readonly unsupported?: RegExp;
}
