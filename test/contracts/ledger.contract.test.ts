import { DynamoDbLedger } from '../../functions/adapters/aws/dynamodb-ledger';
import { InMemoryLedger } from '../../functions/adapters/memory/in-memory-ledger';
import { InvalidPageTokenError, type Ledger, type LedgerQueries } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import { LocalDocumentClient } from '../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../local/dynamodb/local-dynamodb';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../local/store/local-names';
import { manualClock, tempDatabase } from '../local/store/temp-db';

/**
 * The Ledger port's contract, run against each implementation: in memory (the simulator and the core's
 * tests) and the DynamoDB adapter on the local DynamoDB (the local runtime, and on AWS the same class,
 * whose requests test/adapters/dynamodb-ledger.test.ts checks against mocked DynamoDB).
 */

interface Subject {
  readonly ledger: Ledger & Partial<LedgerQueries>;
  readonly clock: ReturnType<typeof manualClock>;
  readonly close: () => void;
}

const CLASSES = ['fast', 'long'];

function inMemory(): Subject {
  const clock = manualClock(Date.parse('2026-02-01T00:00:00.000Z'));
  return { ledger: new InMemoryLedger(clock), clock, close: () => {} };
}

function dynamoDbOnLocal(): Subject {
  const clock = manualClock(Date.parse('2026-02-01T00:00:00.000Z'));
  const store = tempDatabase();
  const client = new LocalDocumentClient(new LocalDynamoDb(store.db, LOCAL_TABLE_SCHEMAS));
  const ledger = new DynamoDbLedger(client.asDocumentClient(), {
    tableName: LOCAL_TABLES.ledger,
    classes: CLASSES,
    clock,
  });
  return { ledger, clock, close: () => store.close() };
}

function record(queryId: string, overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    queryId,
    className: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-01-01T00:00:00.000Z',
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe.each([
  ['in memory', inMemory],
  ['the DynamoDB adapter on the local DynamoDB', dynamoDbOnLocal],
])('Ledger contract: %s', (_name, make) => {
  let subject: Subject;
  beforeEach(() => {
    subject = make();
  });
  afterEach(() => subject.close());

  it('creates a record once: a second create of its queryId changes nothing and returns the stored one', async () => {
    const { ledger } = subject;
    const first = record('q1', {
      userId: 'ana',
      error: { code: 'X', message: 'y' },
      executionParameters: ['1'],
    });
    expect(await ledger.create(first)).toEqual({ created: true, record: first });
    expect(await ledger.create(record('q1', { query: 'SELECT 2' }))).toEqual({
      created: false,
      record: first,
    });
    expect(await ledger.get('q1')).toEqual(first);
    expect(await ledger.get('nope')).toBeUndefined();
  });

  it('patches a record and stamps updatedAt from its clock, whatever updatedAt or queryId the patch says', async () => {
    const { ledger, clock } = subject;
    await ledger.create(record('q1'));
    clock.advance(60_000);
    expect(
      await ledger.update('q1', {
        status: 'WAITING_FOR_SLOT',
        reason: 'full',
        updatedAt: 'ignored',
        queryId: 'other',
      }),
    ).toBe(true);
    expect(await ledger.get('q1')).toEqual({
      ...record('q1'),
      status: 'WAITING_FOR_SLOT',
      reason: 'full',
      updatedAt: clock().toISOString(),
    });
    expect(await ledger.get('other')).toBeUndefined();
  });

  it('treats an undefined field of a patch as not given, never as a removal', async () => {
    const { ledger } = subject;
    await ledger.create(record('q1', { reason: 'kept' }));
    expect(await ledger.update('q1', { status: 'RUNNING', reason: undefined })).toBe(true);
    const stored = await ledger.get('q1');
    expect(stored?.reason).toBe('kept');
    expect(stored?.status).toBe('RUNNING');
  });

  it('writes a conditional patch only while the status is one of those expected', async () => {
    const { ledger } = subject;
    await ledger.create(record('q1', { status: 'RUNNING' }));
    expect(await ledger.update('q1', { status: 'SUCCEEDED' }, ['QUEUED', 'WAITING_FOR_SLOT'])).toBe(false);
    expect(await ledger.update('q1', { status: 'CANCELLED' }, [])).toBe(false);
    expect((await ledger.get('q1'))?.status).toBe('RUNNING');
    expect(await ledger.update('q1', { status: 'SUCCEEDED' }, ['QUEUED', 'RUNNING'])).toBe(true);
    expect((await ledger.get('q1'))?.status).toBe('SUCCEEDED');
  });

  it('writes a patch meant for one execution only while the record is still that execution’s', async () => {
    const { ledger } = subject;
    await ledger.create(record('q1', { status: 'RUNNING', executionArn: 'arn:run-2' }));
    const late = { statuses: ['RUNNING'] as const, executionArn: 'arn:run-1' };
    expect(await ledger.update('q1', { status: 'FAILED' }, late)).toBe(false);
    expect(await ledger.update('q1', { status: 'FAILED' }, { ...late, executionArn: 'arn:run-2' })).toBe(
      true,
    );
  });

  it('never creates a record by updating a missing one', async () => {
    const { ledger } = subject;
    expect(await ledger.update('missing', { status: 'FAILED' })).toBe(false);
    expect(await ledger.get('missing')).toBeUndefined();
  });
});

/**
 * The LedgerQueries contract (GET /queries and GET /workgroups), on the implementation that has it: the
 * DynamoDB adapter, here on the local DynamoDB, reading the `byWorkgroup` index (never a scan).
 */
describe.each([['the DynamoDB adapter on the local DynamoDB', dynamoDbOnLocal]])(
  'LedgerQueries contract: %s',
  (_name, make) => {
    let subject: Subject;
    let queries: Ledger & LedgerQueries;
    beforeEach(() => {
      subject = make();
      queries = subject.ledger as Ledger & LedgerQueries;
    });
    afterEach(() => subject.close());

    async function seven() {
      for (let i = 0; i < 7; i++) {
        await queries.create(
          record(`q${i}`, {
            submittedAt: `2026-01-01T00:00:0${i % 3}.000Z`,
            className: i % 2 === 0 ? 'fast' : 'long',
            status: i < 4 ? 'SUCCEEDED' : 'QUEUED',
            userId: i === 6 ? 'ana' : 'bo',
          }),
        );
      }
    }
    const ids = (page: { items: readonly QueryRecord[] }) => page.items.map((r) => r.queryId);

    it('lists every class newest first (ties by queryId, highest first), in pages of opaque tokens', async () => {
      await seven();
      const pages: string[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await queries.list({ limit: 3, nextToken });
        pages.push(ids(page));
        nextToken = page.nextToken;
      } while (nextToken);
      expect(pages).toEqual([['q5', 'q2', 'q4'], ['q1', 'q6', 'q3'], ['q0']]);
    });

    it('filters by class, status and userId, and pages a filtered list', async () => {
      await seven();
      expect(ids(await queries.list({ limit: 10, className: 'fast' }))).toEqual(['q2', 'q4', 'q6', 'q0']);
      expect(ids(await queries.list({ limit: 10, status: 'QUEUED', className: 'long' }))).toEqual(['q5']);
      expect(ids(await queries.list({ limit: 10, userId: 'ana' }))).toEqual(['q6']);
      const first = await queries.list({ limit: 2, status: 'SUCCEEDED' });
      const rest = await queries.list({ limit: 2, status: 'SUCCEEDED', nextToken: first.nextToken });
      expect([...ids(first), ...ids(rest)]).toEqual(['q2', 'q1', 'q3', 'q0']);
    });

    it('lists for a caller who is not an admin its own queries, and those with a submitter in classes it shares', async () => {
      const at = (n: number) => `2026-01-01T11:00:0${n}.000Z`;
      for (const r of [
        record('alice-fast', { className: 'fast', submittedBy: 'alice', submittedAt: at(1) }),
        record('bob-fast', { className: 'fast', submittedBy: 'bob', submittedAt: at(2) }),
        record('nobody-fast', { className: 'fast', submittedAt: at(3) }),
        record('empty-fast', { className: 'fast', submittedBy: '', submittedAt: at(4) }),
        record('alice-long', { className: 'long', submittedBy: 'alice', submittedAt: at(5) }),
        record('bob-long', { className: 'long', submittedBy: 'bob', submittedAt: at(6) }),
      ])
        await queries.create(r);
      const visible = async (visibleTo: { submittedBy?: string; sharedClasses: string[] }) =>
        ids(await queries.list({ limit: 10, visibleTo }));
      expect(await visible({ submittedBy: 'alice', sharedClasses: [] })).toEqual([
        'alice-long',
        'alice-fast',
      ]);
      expect(await visible({ submittedBy: 'alice', sharedClasses: ['fast'] })).toEqual([
        'alice-long',
        'bob-fast',
        'alice-fast',
      ]);
      expect(await visible({ sharedClasses: [] })).toEqual([]);
      // A token is bound to the caller's view: another caller cannot page through it.
      const page = await queries.list({
        limit: 1,
        visibleTo: { submittedBy: 'alice', sharedClasses: [] },
      });
      await expect(
        queries.list({
          limit: 1,
          nextToken: page.nextToken,
          visibleTo: { submittedBy: 'bob', sharedClasses: [] },
        }),
      ).rejects.toThrow(InvalidPageTokenError);
    });

    it('resumes a page token issued before the class was renamed (its filter written with sharedWorkgroups)', async () => {
      for (const r of [
        record('alice-fast', { className: 'fast', submittedBy: 'alice' }),
        record('bob-long', { className: 'long', submittedBy: 'bob' }),
      ])
        await queries.create(r);
      const before = JSON.stringify([null, null, null, { submittedBy: 'alice', sharedWorkgroups: ['long'] }]);
      const token = Buffer.from(JSON.stringify({ v: 1, f: before, p: { fast: 0, long: null } })).toString(
        'base64url',
      );
      const visibleTo = { submittedBy: 'alice', sharedClasses: ['long'] };
      expect(ids(await queries.list({ limit: 10, visibleTo, nextToken: token }))).toEqual(['bob-long']);
    });

    it('refuses a token it did not issue, or one issued for other filters', async () => {
      await seven();
      const first = await queries.list({ limit: 1, className: 'fast' });
      await expect(queries.list({ limit: 1, className: 'long', nextToken: first.nextToken })).rejects.toThrow(
        InvalidPageTokenError,
      );
      await expect(queries.list({ limit: 1, nextToken: 'garbage' })).rejects.toThrow(InvalidPageTokenError);
    });

    it('lists a record by the status it has now', async () => {
      await queries.create(record('q1'));
      expect(await queries.update('q1', { status: 'RUNNING' }, ['QUEUED'])).toBe(true);
      expect(ids(await queries.list({ limit: 5, status: 'RUNNING' }))).toEqual(['q1']);
    });

    it('counts a class by status among the queries submitted since a time', async () => {
      await queries.create(record('a', { status: 'SUCCEEDED', submittedAt: '2026-01-01T00:00:00.000Z' }));
      await queries.create(record('b', { status: 'SUCCEEDED', submittedAt: '2026-01-02T00:00:00.000Z' }));
      await queries.create(record('c', { status: 'FAILED', submittedAt: '2026-01-02T00:00:00.000Z' }));
      await queries.create(
        record('d', { status: 'FAILED', className: 'long', submittedAt: '2026-01-02T00:00:00.000Z' }),
      );
      expect(await queries.countByStatus('fast', ['SUCCEEDED', 'FAILED'], '')).toEqual({
        SUCCEEDED: 2,
        FAILED: 1,
      });
      expect(
        await queries.countByStatus('fast', ['SUCCEEDED', 'RUNNING'], '2026-01-02T00:00:00.000Z'),
      ).toEqual({
        SUCCEEDED: 1,
      });
      expect(await queries.countByStatus('fast', [], '')).toEqual({});
    });
  },
);
