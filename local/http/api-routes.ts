import type { WlmConfig } from '../../contracts/config';
import { CLASS_PATH_PARAMETER, ROUTES, type RouteId } from '../../contracts/routes';
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
import { asCaller } from './local-caller';
import type { RouteHandler, RouteRequest, RouteResponse, Router } from './router';

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

type SubmissionRouteId = Extract<RouteId, 'submit' | 'submitToDefaultClass'>;

/** Validate, then record and queue in one step: the two submission routes. */
function submissionHandlers(deps: SubmissionRouteDeps): Readonly<Record<SubmissionRouteId, RouteHandler>> {
  const submit = (className: string, request: RouteRequest, caller: Caller): Promise<RouteResponse> =>
    submitQuery(
      className,
      request.body ?? {},
      { requestId: request.requestId, caller, now: deps.clock(), baseUrl: deps.baseUrl() },
      deps.submissions,
    );
  const classNames = Object.keys(deps.config.classes);
  return {
    submitToDefaultClass: asCaller((request, caller) => submit(deps.config.defaultClass, request, caller)),
    submit: asCaller((request, caller) => {
      const className = request.params[CLASS_PATH_PARAMETER];
      if (!classNames.includes(className)) {
        return {
          statusCode: 404,
          body: {
            message: `Unknown workload class '${className}'. Submit to one of: ${classNames.join(', ')}.`,
            workgroups: classNames,
          },
        };
      }
      return submit(className, request, caller);
    }),
  };
}

/** Adds the routes of the table that `handlers` answers, in the table's order. */
function addRoutes(router: Router, handlers: Partial<Readonly<Record<RouteId, RouteHandler>>>): Router {
  for (const [id, route] of Object.entries(ROUTES)) {
    const handler = handlers[id as RouteId];
    if (handler) router.add(route.method, route.path, handler);
  }
  return router;
}

/**
 * The submission routes alone. On AWS API Gateway answers them itself (its direct SQS integration);
 * locally they need nothing but the submission store, which is why the threaded runtime's edge thread
 * serves them without its back end.
 */
export function addSubmissionRoutes(router: Router, deps: SubmissionRouteDeps): Router {
  return addRoutes(router, submissionHandlers(deps));
}

/**
 * The API's routes (contracts/routes.ts), each answered by the same core function as its Lambda handler
 * on AWS. The map names every route of the table, so a route cannot be left out.
 */
export function addApiRoutes(router: Router, deps: ApiDeps): Router {
  const handlers: Readonly<Record<RouteId, RouteHandler>> = {
    ...submissionHandlers(deps),
    listWorkgroups: () => listWorkgroupsApi(deps),
    listQueries: asCaller((request, caller) => listQueriesApi(request.query, caller, deps)),
    getQuery: asCaller((request, caller) =>
      getQueryApi(request.params.queryId, caller, { ...deps, line: deps.slots }),
    ),
    getResults: asCaller((request, caller) =>
      getResultsApi(request.params.queryId, request.query, caller, deps),
    ),
    cancelQuery: asCaller((request, caller) => cancelQueryApi(request.params.queryId, caller, deps)),
  };
  return addRoutes(router, handlers);
}
