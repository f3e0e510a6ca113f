import { parseConfig } from '../../contracts/config';
import { isAdmin, mayAccess, principalMatches, visibilityOf } from '../../functions/core/access';

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const ANALYSTS = `arn:aws:iam::${ACCOUNT}:role/teams/analysts`;
const ANALYST_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/analysts/carol@example.com`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/wlm-admin`;
const ADMIN_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/wlm-admin/dave`;

const config = parseConfig({
  quota: { activeDmlQueries: 10, headroom: 0 },
  defaultClass: 'adhoc',
  adminArns: [ADMIN_ROLE],
  classes: {
    etl: { guaranteedSlots: 0, maxSlots: 2, submitterArns: [ANALYSTS], shareWithinClass: true },
    adhoc: { guaranteedSlots: 0, maxSlots: 2, submitterArns: [ANALYSTS] },
  },
});

const record = (className: string, submittedBy?: string) => ({ className, submittedBy });

describe('principalMatches', () => {
  it('matches the same ARN, and any session of a role whatever its path', () => {
    expect(principalMatches(ALICE, ALICE)).toBe(true);
    expect(principalMatches(ANALYST_SESSION, ANALYSTS)).toBe(true);
    expect(principalMatches(`arn:aws:sts::${ACCOUNT}:assumed-role/analysts/other`, ANALYSTS)).toBe(true);
  });

  it.each([
    ['another user', BOB, ALICE],
    ['a session of another role', `arn:aws:sts::${ACCOUNT}:assumed-role/analysts-x/carol`, ANALYSTS],
    [
      'the same role name in another account',
      'arn:aws:sts::999999999999:assumed-role/analysts/carol',
      ANALYSTS,
    ],
    [
      'the same role name in another partition',
      `arn:aws-cn:sts::${ACCOUNT}:assumed-role/analysts/carol`,
      ANALYSTS,
    ],
    ['a role given as the principal of a session ARN', ANALYSTS, ANALYST_SESSION],
    ['an empty principal', '', ALICE],
  ])('does not match %s', (_what, principal, arn) => {
    expect(principalMatches(principal, arn)).toBe(false);
  });
});

describe('mayAccess', () => {
  it('lets the submitter in, and nobody else who is neither admin nor sharing member', () => {
    expect(mayAccess(record('adhoc', ALICE), { principal: ALICE }, config)).toBe(true);
    expect(mayAccess(record('adhoc', ALICE), { principal: BOB }, config)).toBe(false);
  });

  it('lets any session of an admin role in, and an edge-vouched admin', () => {
    expect(isAdmin({ principal: ADMIN_SESSION }, config)).toBe(true);
    expect(mayAccess(record('adhoc', ALICE), { principal: ADMIN_SESSION }, config)).toBe(true);
    expect(mayAccess(record('adhoc', ALICE), { principal: 'local:operator', admin: true }, config)).toBe(
      true,
    );
  });

  it("lets the class's members in only where the class shares", () => {
    expect(mayAccess(record('etl', ALICE), { principal: ANALYST_SESSION }, config)).toBe(true);
    expect(mayAccess(record('adhoc', ALICE), { principal: ANALYST_SESSION }, config)).toBe(false);
  });

  it('keeps a record without a submitter to admins, even in a sharing class', () => {
    for (const submittedBy of [undefined, '']) {
      expect(mayAccess(record('etl', submittedBy), { principal: ANALYST_SESSION }, config)).toBe(false);
      expect(mayAccess(record('etl', submittedBy), { principal: '' }, config)).toBe(false);
      expect(mayAccess(record('etl', submittedBy), { principal: ADMIN_SESSION }, config)).toBe(true);
    }
  });
});

describe('visibilityOf', () => {
  it('lists everything for an admin, own queries plus sharing classes for a member, own only otherwise', () => {
    expect(visibilityOf({ principal: ADMIN_SESSION }, config)).toBeUndefined();
    expect(visibilityOf({ principal: ANALYST_SESSION }, config)).toEqual({
      submittedBy: ANALYST_SESSION,
      sharedClasses: ['etl'],
    });
    expect(visibilityOf({ principal: BOB }, config)).toEqual({ submittedBy: BOB, sharedClasses: [] });
    expect(visibilityOf({ principal: '' }, config)).toEqual({ sharedClasses: [] });
  });
});
