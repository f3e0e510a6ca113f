import { acceptSubmission } from '../../functions/core/intake';
import type {
  Clock,
  DispatchStore,
  ExecutionControl,
  Ledger,
  LedgerQueries,
  QueryResultsReader,
} from '../../functions/core/ports';
import {
  cancelQueryApi,
  getQueryApi,
  getResultsApi,
  listQueriesApi,
  listWorkgroupsApi,
} from '../../functions/core/query-api';
import type { QueryMessageInput } from '../../functions/core/submission';
import type { Wake } from '../../functions/core/wake-event';
import type { WlmConfig } from '../../lib/config';
import type { RouteRequest, RouteResponse, Router } from './router';

/** What the local API needs: the same ports the Lambda handlers use on AWS. */
export interface ApiDeps {
  readonly config: WlmConfig;
  readonly clock: Clock;
  readonly ledger: Ledger & LedgerQueries;
  /** The dispatcher's state: the slots held, and each line (why it waits, who is ahead). */
  readonly slots: Pick<DispatchStore, 'holders' | 'waitStatus' | 'ahead'>;
  readonly wake: Wake;
  readonly executions: ExecutionControl;
  readonly results: QueryResultsReader;
  /** Puts a new submission on the `queries` queue. */
  readonly enqueue: (message: QueryMessageInput) => Promise<void>;
  /** The API's own base URL, for statusUrl. */
  readonly baseUrl: () => string;
  /** The live quota, when the config reads it from Service Quotas (the one the local Athena enforces). */
  readonly liveQuota?: () => Promise<number>;
}

/** Who the caller is: the local API has no IAM, so it records where the request came from. */
export const localCaller = (request: RouteRequest) => `local:${request.remoteAddress}`;

/** The API routes, answered by the same core functions as the Lambda handlers on AWS. */
export function addApiRoutes(router: Router, deps: ApiDeps): Router {
  const submit = async (workgroup: string, request: RouteRequest): Promise<RouteResponse> => {
    const accepted = acceptSubmission(workgroup, request.body ?? {}, {
      requestId: request.requestId,
      submittedBy: localCaller(request),
      now: deps.clock(),
      baseUrl: deps.baseUrl(),
    });
    if ('errors' in accepted) return { statusCode: 400, body: accepted };
    await deps.enqueue(accepted.message);
    return { statusCode: 202, body: { queryId: accepted.queryId, statusUrl: accepted.statusUrl } };
  };
  const classNames = Object.keys(deps.config.classes);

  return router
    .add('POST', '/athena/query', (request) => submit(deps.config.defaultClass, request))
    .add('POST', '/workgroups/{workgroup}/queries', (request) => {
      const { workgroup } = request.params;
      if (!classNames.includes(workgroup)) {
        return {
          statusCode: 404,
          body: {
            message: `Unknown workgroup '${workgroup}'. Submit to one of: ${classNames.join(', ')}.`,
            workgroups: classNames,
          },
        };
      }
      return submit(workgroup, request);
    })
    .add('GET', '/workgroups', () => listWorkgroupsApi(deps))
    .add('GET', '/queries', (request) => listQueriesApi(request.query, deps))
    .add('GET', '/queries/{queryId}', (request) =>
      getQueryApi(request.params.queryId, { ...deps, line: deps.slots }),
    )
    .add('GET', '/queries/{queryId}/results', (request) =>
      getResultsApi(request.params.queryId, request.query, deps),
    )
    .add('DELETE', '/queries/{queryId}', (request) =>
      cancelQueryApi(request.params.queryId, localCaller(request), deps),
    );
}
