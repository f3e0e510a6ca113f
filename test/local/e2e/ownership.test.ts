/**
 * Ownership on the local runtime over HTTP: principals named in x-athena-wlm-principal (trusted from
 * loopback), a class that shares within its members, an admin role. A second user can neither read
 * nor cancel a first user's query, nor take over its id.
 */
import { LOCAL_OPERATOR, PRINCIPAL_HEADER } from '../../../local/http/local-caller';
import { http, LONG_QUERY, readAllResults, startTestRuntime, type TestRuntime, waitForEnd } from './support';

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const TEAM_ROLE = `arn:aws:iam::${ACCOUNT}:role/team`;
const CAROL = `arn:aws:sts::${ACCOUNT}:assumed-role/team/carol`;
const DAVE = `arn:aws:sts::${ACCOUNT}:assumed-role/team/dave`;
const ADMIN = `arn:aws:sts::${ACCOUNT}:assumed-role/wlm-admin/erin`;

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime({
    config: {
      quota: { activeDmlQueries: 10, headroom: 0 },
      defaultClass: 'adhoc',
      adminArns: [`arn:aws:iam::${ACCOUNT}:role/wlm-admin`],
      classes: {
        adhoc: { guaranteedSlots: 0, maxSlots: 4, submitterArns: [TEAM_ROLE] },
        team: { guaranteedSlots: 0, maxSlots: 4, submitterArns: [TEAM_ROLE], shareWithinClass: true },
      },
    },
  });
}, 60_000);
afterAll(() => t?.close());

const as = (principal?: string): Record<string, string> =>
  principal ? { [PRINCIPAL_HEADER]: principal } : {};
const post = (principal: string, body: Record<string, unknown>, workgroup = 'adhoc') =>
  http('POST', `${t.url}/workgroups/${workgroup}/queries`, body, as(principal));
const get = (principal: string | undefined, path: string) =>
  http('GET', `${t.url}${path}`, undefined, as(principal));
const listIds = async (principal?: string) =>
  ((await get(principal, '/queries?limit=100')).body as { items: { queryId: string }[] }).items
    .map((i) => i.queryId)
    .sort();

describe("a second user and the first user's query", () => {
  it('cannot read its status, results or CSV, nor cancel it: 404 as for an unknown id, and it runs on', async () => {
    expect((await post(ALICE, { queryId: 'alice-1', query: 'SELECT 42 AS answer' })).status).toBe(202);
    const running = await post(ALICE, { queryId: 'alice-long', query: LONG_QUERY });
    expect(running.status).toBe(202);
    expect((await waitForEnd(t.url, 'alice-1')).status).toBe('SUCCEEDED');

    for (const path of ['/queries/alice-1', '/queries/alice-1/results', '/queries/alice-1/results.csv']) {
      const answer = await get(BOB, path);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ message: expect.stringMatching(/^No query with id alice-1\./) });
    }
    const cancel = await http('DELETE', `${t.url}/queries/alice-long`, undefined, as(BOB));
    expect(cancel.status).toBe(404);

    const view = (await get(ALICE, '/queries/alice-long')).body as { status: string };
    expect(['QUEUED', 'WAITING_FOR_SLOT', 'RUNNING']).toContain(view.status);
    expect((await get(ALICE, '/queries/alice-1')).body).toMatchObject({
      status: 'SUCCEEDED',
      submittedBy: ALICE,
    });
    expect((await get(ALICE, '/queries/alice-1/results.csv')).status).toBe(200);
    expect(await http('DELETE', `${t.url}/queries/alice-long`, undefined, as(ALICE))).toMatchObject({
      status: 200,
    });
  });

  it('cannot take over its id: other SQL, or the same SQL from another user, is 409 and queues nothing', async () => {
    const send = jest.spyOn(t.runtime.queues.queries, 'send');

    const otherSql = await post(ALICE, { queryId: 'alice-1', query: 'SELECT 1 AS other' });
    const otherUser = await post(BOB, { queryId: 'alice-1', query: 'SELECT 42 AS answer' });
    const retried = await post(ALICE, { queryId: 'alice-1', query: 'SELECT 42 AS answer' });

    expect(otherSql.status).toBe(409);
    expect(otherSql.body).toMatchObject({ field: 'queryId', queryId: 'alice-1' });
    expect(otherUser.status).toBe(409);
    expect(JSON.stringify(otherUser.body)).not.toContain('SELECT');
    expect(retried.status).toBe(202);
    expect(send).not.toHaveBeenCalled();
    send.mockRestore();
    expect((await readAllResults(t.url, 'alice-1', 100)).rows).toEqual([['42']]);
  });

  it('lists only its own queries; the local operator (no header) lists every query', async () => {
    expect((await post(BOB, { queryId: 'bob-1', query: 'SELECT 2 AS two' })).status).toBe(202);
    expect(await listIds(BOB)).toEqual(['bob-1']);
    expect(await listIds(ALICE)).toEqual(['alice-1', 'alice-long']);
    expect(await listIds()).toEqual(['alice-1', 'alice-long', 'bob-1']);

    // A loopback request without the header is the local operator's, which other users cannot see.
    expect(
      (await http('POST', `${t.url}/athena/query`, { queryId: 'op-1', query: 'SELECT 1 AS one' })).status,
    ).toBe(202);
    expect((await get(undefined, '/queries/op-1')).body).toMatchObject({ submittedBy: LOCAL_OPERATOR });
    expect((await get(ALICE, '/queries/op-1')).status).toBe(404);
  });
});

describe('a class that shares within its members', () => {
  it("lets a member read and cancel another member's query there, and nowhere else", async () => {
    expect((await post(DAVE, { queryId: 'dave-team', query: LONG_QUERY }, 'team')).status).toBe(202);
    expect((await post(DAVE, { queryId: 'dave-adhoc', query: 'SELECT 3 AS three' })).status).toBe(202);

    expect((await get(CAROL, '/queries/dave-team')).status).toBe(200);
    expect((await get(CAROL, '/queries/dave-adhoc')).status).toBe(404);
    expect(await listIds(CAROL)).toEqual(['dave-team']);
    expect((await get(BOB, '/queries/dave-team')).status).toBe(404);

    const cancel = await http('DELETE', `${t.url}/queries/dave-team`, undefined, as(CAROL));
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'CANCELLED', cancelledBy: CAROL });
  });

  it('lets a session of the admin role read everything, and the console API only to admins', async () => {
    expect((await get(ADMIN, '/queries/dave-adhoc')).status).toBe(200);
    expect((await listIds(ADMIN)).length).toBeGreaterThanOrEqual(5);
    expect((await get(BOB, '/console/api/executions')).status).toBe(403);
    expect((await get(ADMIN, '/console/api/executions')).status).toBe(200);
    expect((await get(undefined, '/console/api/executions')).status).toBe(200);
  });
});
