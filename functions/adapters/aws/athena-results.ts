import {
  type AthenaClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  type Clock,
  InvalidPageTokenError,
  type QueryResultsReader,
  type ResultPage,
  ResultsUnavailableError,
} from '../../core/ports';
import type { QueryRecord } from '../../core/query-record';
import { athenaMaxResults, toResultPage } from '../../core/result-page';

/** Lifetime of the presigned CSV link, in seconds. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

export interface AthenaResultsProps {
  /** @default the system clock */
  readonly clock?: Clock;
  /** Presigns a GET of an S3 object. @default getSignedUrl with the given S3 client */
  readonly presign?: (bucket: string, key: string, expiresInSeconds: number) => Promise<string>;
}

/** `s3://bucket/key` as its parts, or undefined for anything else. */
export function parseS3Url(url: string): { readonly bucket: string; readonly key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

/**
 * Result rows of a SUCCEEDED query, page by page as Athena's GetQueryResults gives them (its NextToken
 * passed through), with the column names and types, and a 15-minute presigned link to the CSV Athena
 * wrote to the results bucket.
 */
export class AthenaResults implements QueryResultsReader {
  private readonly clock: Clock;
  private readonly presign: (bucket: string, key: string, expiresInSeconds: number) => Promise<string>;

  constructor(
    private readonly athena: AthenaClient,
    s3: S3Client,
    props: AthenaResultsProps = {},
  ) {
    this.clock = props.clock ?? (() => new Date());
    this.presign =
      props.presign ??
      ((bucket, key, expiresIn) =>
        getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn }));
  }

  async page(
    record: QueryRecord,
    options: { readonly maxResults: number; readonly nextToken?: string },
  ): Promise<ResultPage> {
    if (!record.athenaQueryExecutionId) {
      throw new ResultsUnavailableError(
        `Query ${record.queryId} has no Athena query execution id recorded, so its results cannot be read.`,
      );
    }
    let out: GetQueryResultsCommandOutput;
    try {
      out = await this.athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: record.athenaQueryExecutionId,
          MaxResults: athenaMaxResults(options.maxResults, !options.nextToken),
          ...(options.nextToken ? { NextToken: options.nextToken } : {}),
        }),
      );
    } catch (error) {
      throw mapAthenaError(error, record);
    }
    const download = await this.downloadLink(record.outputLocation);
    return { ...toResultPage(out, !options.nextToken), ...download };
  }

  private async downloadLink(
    outputLocation: string | undefined,
  ): Promise<{ downloadUrl?: string; downloadUrlExpiresAt?: string }> {
    const location = outputLocation ? parseS3Url(outputLocation) : undefined;
    if (!location) return {};
    const downloadUrl = await this.presign(location.bucket, location.key, DOWNLOAD_URL_SECONDS);
    const downloadUrlExpiresAt = new Date(this.clock().getTime() + DOWNLOAD_URL_SECONDS * 1000).toISOString();
    return { downloadUrl, downloadUrlExpiresAt };
  }
}

function mapAthenaError(error: unknown, record: QueryRecord): unknown {
  const { name, message } = error as { name?: string; message?: string };
  if (name !== 'InvalidRequestException') return error;
  if (/token/i.test(message ?? '')) {
    return new InvalidPageTokenError(
      `nextToken was not accepted by Athena (${message}); start again without it`,
    );
  }
  return new ResultsUnavailableError(
    `The results of query ${record.queryId} are no longer available (${message}). Results are kept for the ` +
      'configured resultsRetentionDays; run the query again to get them.',
  );
}
