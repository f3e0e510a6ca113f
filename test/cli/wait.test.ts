import { ApiError } from '../../cli/api-client';
import { waitForQuery } from '../../cli/wait';
import type { QueryViewBody } from '../../contracts/responses';

function view(status: QueryViewBody['status'], extra: Partial<QueryViewBody> = {}): QueryViewBody {
  return {
    queryId: 'q1',
    className: 'fast',
    workgroup: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    status,
    attempts: 1,
    redrives: 0,
    elapsedMs: 1000,
    finished: ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status),
    ...extra,
  };
}

/** A client that answers each poll with the next of `answers` (an Error is thrown). */
function scripted(answers: (QueryViewBody | Error)[]) {
  const polls: string[] = [];
  return {
    polls,
    getQuery: async (queryId: string) => {
      polls.push(queryId);
      const next = answers.shift();
      if (!next) throw new Error('polled after the query finished');
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 200, write: (text: string) => chunks.push(text) };
}

describe('waitForQuery', () => {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  beforeEach(() => {
    sleeps.length = 0;
  });

  it('writes one plain line per status change when not on a terminal, and returns the final view', async () => {
    const client = scripted([
      view('QUEUED'),
      view('WAITING_FOR_SLOT', { reason: 'class fast has 6 of 6 slots in use' }),
      view('WAITING_FOR_SLOT', { reason: 'class fast has 6 of 6 slots in use' }),
      view('RUNNING'),
      view('SUCCEEDED', { elapsedMs: 4200 }),
    ]);
    const out = stream(false);
    const final = await waitForQuery(client, 'q1', { stream: out, sleep, now: () => 0 });
    expect(final.status).toBe('SUCCEEDED');
    expect(out.chunks).toEqual([
      '[1.0s] q1 QUEUED\n',
      '[1.0s] q1 WAITING_FOR_SLOT: class fast has 6 of 6 slots in use\n',
      '[1.0s] q1 RUNNING\n',
      '[4.2s] q1 SUCCEEDED\n',
    ]);
    expect(client.polls).toHaveLength(5);
  });

  it('backs off while nothing changes and polls quickly again after a change', async () => {
    const client = scripted([
      view('RUNNING'),
      view('RUNNING'),
      view('RUNNING'),
      view('RUNNING'),
      view('FAILED'),
    ]);
    await waitForQuery(client, 'q1', { stream: stream(false), sleep, initialPollMs: 100, maxPollMs: 200 });
    expect(sleeps).toEqual([100, 150, 200, 200]);
  });

  it('counts an unknown id as still in the intake queue for a while, then gives up with the 404', async () => {
    const notFound = new ApiError(404, { message: 'No query with id q1.' }, 'GET /queries/q1');
    const out = stream(false);
    const client = scripted([notFound, view('SUCCEEDED')]);
    await waitForQuery(client, 'q1', { stream: out, sleep, now: () => 0 });
    expect(out.chunks[0]).toMatch(/^\[0\.00s\] q1 SUBMITTED: accepted, not yet picked up/);

    let clock = 0;
    const late = scripted([notFound, notFound, notFound]);
    const failing = waitForQuery(late, 'q1', {
      stream: stream(false),
      now: () => clock,
      sleep: async () => {
        clock += 20_000;
      },
      notFoundGraceMs: 30_000,
    });
    await expect(failing).rejects.toBe(notFound);
    expect(late.polls).toHaveLength(3); // at 0s and 20s within the grace, at 40s past it
  });

  it('redraws a single line in place on a terminal and ends it with a newline', async () => {
    const out = stream(true);
    await waitForQuery(scripted([view('QUEUED'), view('RUNNING'), view('SUCCEEDED')]), 'q1', {
      stream: out,
      sleep,
      now: () => 0,
    });
    expect(out.chunks.slice(0, 3)).toEqual([
      '\r\x1b[2K[1.0s] q1 QUEUED',
      '\r\x1b[2K[1.0s] q1 RUNNING',
      '\r\x1b[2K[1.0s] q1 SUCCEEDED',
    ]);
    expect(out.chunks.at(-1)).toBe('\n');
    expect(out.chunks.join('')).not.toMatch(/\n./);
  });
});
