import {
  InvalidPageTokenError,
  type QueryResultsReader,
  type ResultPage,
  ResultsUnavailableError,
} from '../functions/core/ports';
import type { QueryRecord } from '../functions/core/query-record';
import { athenaMaxResults, toResultPage } from '../functions/core/result-page';
import type { LocalAthena } from './athena';

/** Route of a SUCCEEDED query's CSV on the local server (the local stand-in for a presigned S3 URL). */
export const resultsCsvPath = (queryId: string) => `/queries/${encodeURIComponent(queryId)}/results.csv`;

/**
 * Reads result pages from the local Athena in GetQueryResults' shape, exactly as the AWS adapter reads
 * them from Athena, with a download link to the whole CSV on the local server.
 */
export class LocalResultsReader implements QueryResultsReader {
  constructor(
    private readonly athena: LocalAthena,
    private readonly baseUrl: () => string,
  ) {}

  async page(record: QueryRecord, options: { maxResults: number; nextToken?: string }): Promise<ResultPage> {
    if (!record.athenaQueryExecutionId) {
      throw new ResultsUnavailableError(
        `Query ${record.queryId} has no Athena query execution id recorded, so its results cannot be read.`,
      );
    }
    try {
      const out = await this.athena.getQueryResults({
        QueryExecutionId: record.athenaQueryExecutionId,
        MaxResults: athenaMaxResults(options.maxResults, !options.nextToken),
        ...(options.nextToken ? { NextToken: options.nextToken } : {}),
      });
      return {
        ...toResultPage(out, !options.nextToken),
        downloadUrl: `${this.baseUrl()}${resultsCsvPath(record.queryId)}`,
      };
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'InvalidRequestException' && /token/i.test(message)) {
        throw new InvalidPageTokenError(`nextToken was not accepted (${message}); start again without it`);
      }
      if (name === 'InvalidRequestException' || name === 'ResourceNotFoundException') {
        throw new ResultsUnavailableError(
          `The results of query ${record.queryId} are not available: ${message}`,
        );
      }
      throw error;
    }
  }
}
