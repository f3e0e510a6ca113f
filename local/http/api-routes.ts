import type { Caller } from '../../functions/core/access';
import { submitQuery } from '../../functions/core/intake';
import type {
  Clock,
  DispatchStore,
  ExecutionControl,
  Ledger,
  LedgerQueries,
  QueryResultsReader,
  SubmissionStore,
} from '../../functions/core/ports';
import {
  cancelQueryApi,
  getQueryApi,
  getResultsApi,
  listQueriesApi,
  listWorkgroupsApi,
} from '../../functions/core/query-api';
import type { Wake } from '../../functions/core/wake-event';
import type { WlmConfig } from '../../lib/config';
import { asCaller } from './local-caller';
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
  /** Records a new submission and puts it on the `queries` queue, as one step. */
  readonly submissions: SubmissionStore;
  /** The API's own base URL, for statusUrl. */
  readonly baseUrl: () => string;
  /** The live quota, when the config reads it from Service Quotas (the one the local Athena enforces). */
  readonly liveQuota?: () => Promise<number>;
}

/** What the submission routes need. */
export type SubmissionRouteDeps = Pick<ApiDeps, 'config' | 'clock' | 'submissions' | 'baseUrl'>;

/**
 * The two submission routes: validate, then record and queue in one step. On AWS API Gateway answers
 * them itself (its direct SQS integration); locally they need nothing but the submission store, which
 * is why the threaded runtime's edge thread serves them without its back end.
 */
export function addSubmissionRoutes(router: Router, deps: SubmissionRouteDeps): Router {
  const submit = (workgroup: string, request: RouteRequest, caller: Caller): Promise<RouteResponse> =>
    submitQuery(
      workgroup,
      request.body ?? {},
      { requestId: request.requestId, caller, now: deps.clock(), baseUrl: deps.baseUrl() },
      deps.submissions,
    );
  const classNames = Object.keys(deps.config.classes);

  return router
    .add(
      'POST',
      '/athena/query',
      asCaller((request, caller) => submit(deps.config.defaultClass, request, caller)),
    )
    .add(
      'POST',
      '/workgroups/{workgroup}/queries',
      asCaller((request, caller) => {
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
        return submit(workgroup, request, caller);
      }),
    );
}

/** The API routes, answered by the same core functions as the Lambda handlers on AWS. */
export function addApiRoutes(router: Router, deps: ApiDeps): Router {
  return addSubmissionRoutes(router, deps)
    .add('GET', '/workgroups', () => listWorkgroupsApi(deps))
    .add(
      'GET',
      '/queries',
      asCaller((request, caller) => listQueriesApi(request.query, caller, deps)),
    )
    .add(
      'GET',
      '/queries/{queryId}',
      asCaller((request, caller) =>
        getQueryApi(request.params.queryId, caller, { ...deps, line: deps.slots }),
      ),
    )
    .add(
      'GET',
      '/queries/{queryId}/results',
      asCaller((request, caller) => getResultsApi(request.params.queryId, request.query, caller, deps)),
    )
    .add(
      'DELETE',
      '/queries/{queryId}',
      asCaller((request, caller) => cancelQueryApi(request.params.queryId, caller, deps)),
    );
}
