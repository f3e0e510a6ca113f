import {
  type AccountLoggingSetting,
  ensureAccountLoggingRole,
  RoleNotAssumableYetError,
} from '../../functions/core/account-logging-role';

const OURS = 'arn:aws:iam::123456789012:role/AthenaWlm-LoggingRole-ABC';
const THEIRS = 'arn:aws:iam::123456789012:role/platform-apigw-logs';

/** An account setting in memory; `notAssumableFor` refusals before a set succeeds. */
function account(
  initial: string | undefined,
  existing: Record<string, boolean | undefined>,
  notAssumableFor = 0,
) {
  let current = initial;
  let refusals = notAssumableFor;
  const sets: string[] = [];
  const setting: AccountLoggingSetting = {
    current: async () => current,
    roleExists: async (arn) => existing[arn],
    set: async (arn) => {
      sets.push(arn);
      if (refusals-- > 0)
        throw new RoleNotAssumableYetError(
          'The role ARN does not have required permissions set to API Gateway',
        );
      current = arn;
    },
  };
  return { setting, sets, now: () => current };
}
const noWait = { sleep: async () => undefined };

describe('the account-level API Gateway logging role', () => {
  it('sets our role in a fresh account, where none is set', async () => {
    const fresh = account(undefined, {});
    await expect(ensureAccountLoggingRole(fresh.setting, OURS, noWait)).resolves.toEqual({
      action: 'set',
      roleArn: OURS,
    });
    expect(fresh.now()).toBe(OURS);
  });

  it("keeps the account's own working role: other APIs log through it", async () => {
    const used = account(THEIRS, { [THEIRS]: true });
    await expect(ensureAccountLoggingRole(used.setting, OURS, noWait)).resolves.toEqual({
      action: 'kept',
      roleArn: THEIRS,
    });
    expect(used.sets).toEqual([]);
  });

  it('keeps a role it is not allowed to look at rather than overwrite on a guess', async () => {
    const unknown = account(THEIRS, { [THEIRS]: undefined });
    await expect(ensureAccountLoggingRole(unknown.setting, OURS, noWait)).resolves.toMatchObject({
      action: 'kept',
    });
  });

  it('replaces a role that was deleted (every API of the account had stopped logging)', async () => {
    const dangling = account(THEIRS, { [THEIRS]: false });
    await expect(ensureAccountLoggingRole(dangling.setting, OURS, noWait)).resolves.toEqual({
      action: 'set',
      roleArn: OURS,
      replaced: THEIRS,
    });
  });

  it('waits for a new role to become assumable, then sets it', async () => {
    const slow = account(undefined, {}, 2);
    const waits: number[] = [];
    const outcome = await ensureAccountLoggingRole(slow.setting, OURS, {
      retryDelaysMs: [10, 20, 40],
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(outcome.action).toBe('set');
    expect(waits).toEqual([10, 20]);
    expect(slow.sets).toHaveLength(3);
  });

  it('gives up after its last wait with the error API Gateway gave', async () => {
    const never = account(undefined, {}, 10);
    await expect(
      ensureAccountLoggingRole(never.setting, OURS, { retryDelaysMs: [1, 1], ...noWait }),
    ).rejects.toThrow(/required permissions/);
    expect(never.sets).toHaveLength(3);
  });
});
