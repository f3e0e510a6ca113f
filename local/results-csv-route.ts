import { open } from 'node:fs/promises';
import { type AccessConfig, mayAccess } from '../functions/core/access';
import type { Ledger } from '../functions/core/ports';
import { queryNotFound } from '../functions/core/query-api';
import { asCaller } from './http/local-caller';
import type { RouteHandler } from './http/router';

export interface ResultsCsvDeps {
  readonly config: AccessConfig;
  readonly ledger: Pick<Ledger, 'get'>;
  /** The local file of an `s3://` result location. */
  readonly localPath: (s3Uri: string) => string;
}

/**
 * `GET /queries/{queryId}/results.csv`, the local stand-in for the presigned S3 link: the result file,
 * streamed from disk so that a download of any size holds only a buffer's worth of it in memory.
 */
export function resultsCsvRoute(deps: ResultsCsvDeps): RouteHandler {
  return asCaller(async (request, caller) => {
    const { queryId } = request.params;
    const record = await deps.ledger.get(queryId);
    if (!record || !mayAccess(record, caller, deps.config)) return queryNotFound(queryId);
    if (!record.outputLocation || record.status !== 'SUCCEEDED') {
      return { statusCode: 404, body: { message: `Query ${queryId} has no results file.`, queryId } };
    }
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(deps.localPath(record.outputLocation), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return {
        statusCode: 410,
        body: { message: `The results file of query ${queryId} is gone; run the query again.`, queryId },
      };
    }
    const { size } = await file.stat();
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-length': String(size) },
      stream: file.createReadStream(),
    };
  });
}
