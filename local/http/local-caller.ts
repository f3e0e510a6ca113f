import { type AccessConfig, type Caller, isAdmin } from '../../functions/core/access';
import type { RouteRequest, RouteResponse } from './router';

/** Header in which a client on this machine names the principal it acts as (tests, several local users). */
export const PRINCIPAL_HEADER = 'x-athena-wlm-principal';

/** Who a loopback request without the header is: the person running athena-wlm, an admin. */
export const LOCAL_OPERATOR = 'local:operator';

/** Whether an address is this machine's loopback (127.0.0.0/8, ::1, and IPv4 loopback mapped to IPv6). */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
}

/**
 * The caller of a local request. The local API has no IAM, so it trusts this machine: a loopback
 * client may name any principal in `x-athena-wlm-principal` (and is the local operator, an admin,
 * when it names none). A client elsewhere (the server started with `--host 0.0.0.0`) is
 * `local:<its address>`, sees only its own queries, and may not name another principal.
 */
export function localCallerOf(request: RouteRequest): Caller | RouteResponse {
  const named = request.headers[PRINCIPAL_HEADER];
  const loopback = isLoopback(request.remoteAddress);
  if (named === undefined) {
    return loopback
      ? { principal: LOCAL_OPERATOR, admin: true }
      : { principal: `local:${request.remoteAddress}` };
  }
  if (!loopback) {
    return {
      statusCode: 403,
      body: {
        message: `${PRINCIPAL_HEADER} is trusted only from this machine (loopback); a request from ${request.remoteAddress} acts as local:${request.remoteAddress}. Send it without the header.`,
        header: PRINCIPAL_HEADER,
      },
    };
  }
  const principal = Array.isArray(named) ? named[0] : named;
  if (!principal || principal.length > 2048) {
    return {
      statusCode: 400,
      body: {
        message: `${PRINCIPAL_HEADER} must name a principal (1 to 2048 characters).`,
        header: PRINCIPAL_HEADER,
      },
    };
  }
  return { principal };
}

/** Runs a route as its caller, or answers why the caller is refused. */
export function asCaller(
  handler: (request: RouteRequest, caller: Caller) => Promise<RouteResponse> | RouteResponse,
): (request: RouteRequest) => Promise<RouteResponse> | RouteResponse {
  return (request) => {
    const caller = localCallerOf(request);
    return 'statusCode' in caller ? caller : handler(request, caller);
  };
}

/** Lets only admins through (the console's own API, which shows every query's executions). */
export function adminsOnly(config: AccessConfig): (request: RouteRequest) => RouteResponse | undefined {
  return (request) => {
    const caller = localCallerOf(request);
    if ('statusCode' in caller) return caller;
    if (isAdmin(caller, config)) return undefined;
    return {
      statusCode: 403,
      body: {
        message: `The console's API shows every query's executions, so it answers admins only (the local operator, or adminArns); ${caller.principal} is not one.`,
      },
    };
  };
}
