import { parseConfig } from '../../../contracts/config';
import { openApiDocument } from '../../../functions/core/openapi';
import { addApiRoutes } from '../../../local/http/api-routes';
import { Router } from '../../../local/http/router';
import { http, startTestRuntime, submit, type TestRuntime, waitForEnd } from './support';

const CONFIG = {
  quota: { activeDmlQueries: 10, headroom: 1 },
  defaultClass: 'adhoc',
  classes: {
    etl: { guaranteedSlots: 2, maxSlots: 4 },
    adhoc: { guaranteedSlots: 0, maxSlots: 2 },
  },
};

describe('the API routes the server serves', () => {
  it('are exactly the routes of the OpenAPI document', () => {
    const config = parseConfig(CONFIG);
    const never = () => {
      throw new Error('not called');
    };
    const served = addApiRoutes(new Router(), {
      config,
      clock: () => new Date(),
      ledger: never as never,
      slots: never as never,
      wake: never as never,
      executions: never as never,
      results: never as never,
      submissions: never as never,
      baseUrl: () => '',
    })
      .list()
      // The router names one template per class-less path; OpenAPI lists one path per class.
      .flatMap(({ method, template }) =>
        template === '/workgroups/{className}/queries'
          ? Object.keys(config.classes).map((c) => `${method} /workgroups/${c}/queries`)
          : [`${method} ${template}`],
      )
      .sort();
    const paths = openApiDocument(config).paths as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((key) => ['get', 'post', 'delete', 'put', 'patch'].includes(key))
          .map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();

    expect(served).toEqual(documented);
  });
});

describe('GET /queries and GET /workgroups over HTTP', () => {
  let t: TestRuntime;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestRuntime({ config: CONFIG });
    for (let i = 0; i < 5; i++) {
      ids.push(
        await submit(
          t.url,
          { query: `SELECT ${i} AS n`, userId: i % 2 ? 'odd' : 'even' },
          i < 3 ? 'etl' : 'adhoc',
        ),
      );
      // Distinct submission times, so that "newest first" has one answer.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const id of ids) await waitForEnd(t.url, id);
  }, 60_000);

  afterAll(() => t?.close());

  it('lists queries newest first, page by page, until the token runs out', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '2', ...(nextToken ? { nextToken } : {}) });
      const answer = await http<{ items: { queryId: string }[]; nextToken?: string }>(
        'GET',
        `${t.url}/queries?${query}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...answer.body.items.map((i) => i.queryId));
      nextToken = answer.body.nextToken;
    } while (nextToken);

    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by workgroup, status and userId', async () => {
    const answer = await http<{ items: { queryId: string; className: string; status: string }[] }>(
      'GET',
      `${t.url}/queries?className=etl&status=SUCCEEDED&userId=even`,
    );

    expect(answer.status).toBe(200);
    expect(answer.body.items.map((i) => i.queryId)).toEqual([ids[2], ids[0]]);
  });

  it('answers 400 naming the parameter for a bad limit, class or page token', async () => {
    const limit = await http<{ message: string }>('GET', `${t.url}/queries?limit=0`);
    const workgroup = await http<{ message: string }>('GET', `${t.url}/queries?className=nope`);
    const token = await http<{ message: string }>('GET', `${t.url}/queries?nextToken=garbage`);

    expect([limit.status, workgroup.status, token.status]).toEqual([400, 400, 400]);
    expect(limit.body.message).toMatch(/^limit: /);
    expect(workgroup.body.message).toMatch(/^className: is not a workload class/);
    expect(token.body.message).toMatch(/^nextToken: /);
  });

  it('shows each class with its limits and nothing held once every query ended', async () => {
    const answer = await http<{
      quota: number;
      capacity: number;
      slotsInUse: number;
      classes: { name: string; guaranteedSlots: number; maxSlots: number; slotsInUse: number }[];
    }>('GET', `${t.url}/workgroups`);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ quota: 10, capacity: 9, slotsInUse: 0 });
    expect(answer.body.classes.map((c) => [c.name, c.guaranteedSlots, c.maxSlots, c.slotsInUse])).toEqual([
      ['etl', 2, 4, 0],
      ['adhoc', 0, 2, 0],
    ]);
  });

  it('serves the OpenAPI document with this server as its server URL', async () => {
    const answer = await http<{ openapi: string; servers?: { url: string }[] }>(
      'GET',
      `${t.url}/openapi.json`,
    );

    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    expect(answer.body.servers?.[0]?.url).toBe(t.url);
  });
});

describe('GET /workgroups with the quota read from Service Quotas (the default)', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    // Locally the quota "read from Service Quotas" is the one the local Athena enforces.
    t = await startTestRuntime({
      config: {
        quota: { activeDmlQueries: 'service-quotas', headroom: '10%' },
        defaultClass: 'adhoc',
        classes: {
          etl: { guaranteedSlots: '50%', maxSlots: '80%' },
          adhoc: { guaranteedSlots: 0, maxSlots: '20%' },
        },
      },
      athenaQuota: 20,
    });
  }, 60_000);

  afterAll(() => t?.close());

  it('shows the shares as slots of that quota, as the dispatcher plans with them', async () => {
    const answer = await http<{
      quota: number;
      capacity: number;
      classes: { name: string; guaranteedSlots: number; maxSlots: number }[];
    }>('GET', `${t.url}/workgroups`);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ quota: 20, headroom: '10%', capacity: 18 });
    expect(answer.body.classes.map((c) => [c.name, c.guaranteedSlots, c.maxSlots])).toEqual([
      ['etl', 9, 14],
      ['adhoc', 0, 4],
    ]);
  });
});
