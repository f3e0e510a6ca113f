import { ApiClient } from '../../cli/api-client';
import { ROUTES, type RouteId } from '../../contracts/routes';

/** Which route of the table a request is, by its method and path. */
function routeOf(method: string, path: string): RouteId | undefined {
  return (Object.keys(ROUTES) as RouteId[]).find((id) => {
    const route = ROUTES[id];
    const pattern = new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return route.method === method && pattern.test(path);
  });
}

describe('ApiClient', () => {
  it('calls every route of the route table, each with its method and path', async () => {
    const called: string[] = [];
    const client = new ApiClient({
      baseUrl: 'http://api.test/v1',
      fetch: (async (url: URL, init: RequestInit) => {
        called.push(`${init.method} ${url.pathname.replace(/^\/v1/, '')}`);
        return new Response('{}', { status: 200 });
      }) as typeof fetch,
    });

    await client.submit({ query: 'SELECT 1' });
    await client.submit({ query: 'SELECT 1' }, 'fast');
    await client.getQuery('q-1');
    await client.results('q-1', { maxResults: 5 });
    await client.cancel('q-1');
    await client.list({ limit: 1 });
    await client.workgroups();

    expect(called).toContain('POST /workgroups/fast/queries');
    const routes = called.map((call) => routeOf(...(call.split(' ') as [string, string])));
    expect(routes).not.toContain(undefined);
    expect(new Set(routes)).toEqual(new Set(Object.keys(ROUTES)));
  });

  it('encodes path parameters', async () => {
    let path = '';
    const client = new ApiClient({
      baseUrl: 'http://api.test',
      fetch: (async (url: URL) => {
        path = url.pathname;
        return new Response('{}', { status: 200 });
      }) as typeof fetch,
    });

    await client.getQuery('a/b');

    expect(path).toBe('/queries/a%2Fb');
  });
});
