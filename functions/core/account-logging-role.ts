/**
 * API Gateway needs one IAM role per account and region to write any API's logs (its account setting
 * `cloudwatchRoleArn`); creating a stage with access logging fails while it is unset. This decides
 * what athena-wlm does to that setting: set its own role when none is set or the one set no longer
 * exists, and otherwise leave the account's choice alone, since every API of the account logs through
 * it.
 */

/** The account setting, as a port. */
export interface AccountLoggingSetting {
  /** The role ARN the account and region use now, or undefined when none is set. */
  current(): Promise<string | undefined>;
  /** Whether a role exists; undefined when that cannot be told (not allowed to look). */
  roleExists(roleArn: string): Promise<boolean | undefined>;
  set(roleArn: string): Promise<void>;
}

export type AccountRoleOutcome =
  | { readonly action: 'kept'; readonly roleArn: string }
  | { readonly action: 'set'; readonly roleArn: string; readonly replaced?: string };

/** API Gateway refuses a role it cannot assume yet; a new role's trust policy takes a while to spread. */
export class RoleNotAssumableYetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleNotAssumableYetError';
  }
}

export interface EnsureRoleOptions {
  /** Waits between tries while the role is not assumable yet. @default 5 s, doubling to 30 s, 8 tries */
  readonly retryDelaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_DELAYS_MS = [5000, 10_000, 20_000, 30_000, 30_000, 30_000, 30_000];

/** Sets `ourRoleArn` as the account's API Gateway logging role unless a working one is already set. */
export async function ensureAccountLoggingRole(
  setting: AccountLoggingSetting,
  ourRoleArn: string,
  options: EnsureRoleOptions = {},
): Promise<AccountRoleOutcome> {
  const current = await setting.current();
  if (current === ourRoleArn) return { action: 'kept', roleArn: current };
  // An unknown answer (no permission to look) keeps the account's choice: never overwrite on a guess.
  if (current && (await setting.roleExists(current)) !== false) return { action: 'kept', roleArn: current };

  const delays = options.retryDelaysMs ?? DEFAULT_DELAYS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      await setting.set(ourRoleArn);
      return { action: 'set', roleArn: ourRoleArn, ...(current ? { replaced: current } : {}) };
    } catch (error) {
      if (!(error instanceof RoleNotAssumableYetError) || attempt >= delays.length) throw error;
      await sleep(delays[attempt]);
    }
  }
}
