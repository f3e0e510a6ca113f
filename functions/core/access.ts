import type { WlmConfig } from '../../contracts/config';
import type { QueryVisibility } from './ports';
import type { QueryRecord } from './query-record';

/**
 * Who calls the API: the IAM principal that signed the request on AWS (the request context's
 * userArn), or the principal the local server resolved.
 */
export interface Caller {
  readonly principal: string;
  /** An admin whatever the config says: set only by an edge that vouches for it (the local operator). */
  readonly admin?: boolean;
}

/** The part of the config that decides who may see what. */
export type AccessConfig = Pick<WlmConfig, 'adminArns' | 'classes'>;

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const ASSUMED_ROLE_ARN = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Whether a principal is the configured ARN: the same ARN, or a session of that role. A session's ARN
 * (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) names the role without its path, so a role
 * matches by partition, account and name.
 */
export function principalMatches(principal: string, arn: string): boolean {
  if (principal === arn) return true;
  const role = ROLE_ARN.exec(arn);
  const session = ASSUMED_ROLE_ARN.exec(principal);
  return (
    role !== null &&
    session !== null &&
    role[1] === session[1] &&
    role[2] === session[2] &&
    role[3] === session[3]
  );
}

export function isAdmin(caller: Caller, config: Pick<WlmConfig, 'adminArns'>): boolean {
  return caller.admin === true || config.adminArns.some((arn) => principalMatches(caller.principal, arn));
}

/** Classes whose queries the caller may see as a member (the class shares, and lists the caller). */
export function sharedClassesOf(caller: Caller, config: Pick<WlmConfig, 'classes'>): string[] {
  return Object.entries(config.classes)
    .filter(
      ([, c]) => c.shareWithinClass && c.submitterArns.some((arn) => principalMatches(caller.principal, arn)),
    )
    .map(([name]) => name);
}

/**
 * Whether the caller may read (status, results) and cancel a query: its submitter, an admin, or a
 * member of its class when the class shares. A record without a submitter (written before records
 * kept one) is an admin's alone. Everyone else is told the query does not exist, so ids do not leak.
 */
export function mayAccess(
  record: Pick<QueryRecord, 'submittedBy' | 'className'>,
  caller: Caller,
  config: AccessConfig,
): boolean {
  if (isAdmin(caller, config)) return true;
  if (!record.submittedBy) return false;
  if (caller.principal !== '' && record.submittedBy === caller.principal) return true;
  return sharedClassesOf(caller, config).includes(record.className);
}

/** What `GET /queries` may show the caller: undefined for everything (an admin). */
export function visibilityOf(caller: Caller, config: AccessConfig): QueryVisibility | undefined {
  if (isAdmin(caller, config)) return undefined;
  return {
    ...(caller.principal !== '' ? { submittedBy: caller.principal } : {}),
    sharedClasses: sharedClassesOf(caller, config),
  };
}
