/**
 * Web pages against the local runtime in a real Chromium: a page on another origin (a no-cors fetch, a
 * text/plain form, a CORS fetch of JSON) and a page whose own name points at 127.0.0.1 (DNS rebinding)
 * can neither submit nor read queries; the console served by the runtime itself still can.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestRuntime, type TestRuntime, waitFor } from './support';

const CHROMIUM = '/usr/bin/chromium';
const REBIND_HOST = 'rebind.test';

/** The attack page: every way a page may send a POST elsewhere without asking the target first. */
function attackPage(target: string): string {
  const body = (queryId: string) => JSON.stringify(JSON.stringify({ query: 'SELECT 1', queryId }));
  return `<!doctype html><html><body>
<form id="form" method="POST" enctype="text/plain" action="${target}/athena/query" target="sink">
  <input name='{"query":"SELECT 1","queryId":"csrf-form","x":"' value='"}'>
</form>
<iframe name="sink"></iframe>
<script>
window.attack = async () => {
  const out = {};
  await fetch(${JSON.stringify(target)} + '/athena/query', {
    method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${body('csrf-no-cors')},
  }).then(() => { out.noCors = 'sent'; }, (e) => { out.noCors = 'error ' + e; });
  out.cors = await fetch(${JSON.stringify(target)} + '/athena/query', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: ${body('csrf-cors')},
  }).then((r) => r.status, (e) => 'blocked');
  document.getElementById('form').submit();
  return out;
};
window.sameOrigin = async () => ({
  submit: (await fetch('/athena/query', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: ${body('csrf-rebind')},
  })).status,
  list: (await fetch('/queries')).status,
});
</script></body></html>`;
}

describe('web pages elsewhere cannot use the local API (Chromium)', () => {
  jest.setTimeout(120_000);
  let runtime: TestRuntime;
  let attacker: Server;
  let attackerUrl: string;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}; this test needs it. Run scripts/install-test-deps.sh (it installs Debian's chromium).`,
      );
    }
    runtime = await startTestRuntime();
    attacker = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(attackPage(runtime.url));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    // Another origin on the same machine: a page served by some other local program.
    attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        // What a rebinding attacker's DNS does: their name now answers with 127.0.0.1.
        `--host-resolver-rules=MAP ${REBIND_HOST} 127.0.0.1`,
        // Chromium itself blocks a page it takes for public from calling loopback (Local/Private Network
        // Access); other browsers and older ones do not, so the server must refuse on its own.
        '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await runtime?.close();
  });

  it('refuses a no-cors fetch, a CORS fetch and a text/plain form from another origin; nothing is enqueued', async () => {
    const send = jest.spyOn(runtime.runtime.queues.queries, 'send');
    const page = await browser.newPage();
    const posts: string[] = [];
    page.on('response', (response) => {
      if (response.url() !== `${runtime.url}/athena/query`) return;
      const id = /"queryId":"([^"]+)"/.exec(response.request().postData() ?? '')?.[1];
      posts.push(`${id} ${response.status()}`);
    });
    await page.goto(attackerUrl);

    const result = await page.evaluate(() =>
      (globalThis as unknown as { attack(): Promise<unknown> }).attack(),
    );
    await waitFor('the form POST to be answered', () => posts.length >= 2, { timeoutMs: 10_000 });

    // The CORS fetch never got past its preflight; the no-cors fetch and the form reached the server and were refused.
    expect(result).toEqual({ noCors: 'sent', cors: 'blocked' });
    expect(posts.sort()).toEqual(['csrf-form 403', 'csrf-no-cors 403']);
    expect(send).not.toHaveBeenCalled();
    for (const id of ['csrf-no-cors', 'csrf-cors', 'csrf-form']) {
      expect(await runtime.runtime.ledger.get(id)).toBeUndefined();
    }
    send.mockRestore();
    await page.close();
  });

  it('refuses a page whose own name was pointed at 127.0.0.1 (DNS rebinding), for submissions and reads', async () => {
    const send = jest.spyOn(runtime.runtime.queues.queries, 'send');
    const port = new URL(runtime.url).port;
    const page = await browser.newPage();
    // The attacker's page, loaded while their name still pointed at their own server.
    await page.route(`http://${REBIND_HOST}:${port}/`, (route) =>
      route.fulfill({ contentType: 'text/html', body: attackPage(`http://${REBIND_HOST}:${port}`) }),
    );
    await page.goto(`http://${REBIND_HOST}:${port}/`);

    const result = await page.evaluate(() =>
      (globalThis as unknown as { sameOrigin(): Promise<unknown> }).sameOrigin(),
    );

    expect(result).toEqual({ submit: 403, list: 403 });
    expect(send).not.toHaveBeenCalled();
    expect(await runtime.runtime.ledger.get('csrf-rebind')).toBeUndefined();
    send.mockRestore();
    await page.close();
  });

  it('lets the console served by the runtime submit and list', async () => {
    const page = await browser.newPage();
    await page.goto(runtime.url);

    const result = await page.evaluate(async () => ({
      submit: (
        await fetch('/athena/query', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'SELECT 1', queryId: 'from-console' }),
        })
      ).status,
      list: (await fetch('/queries')).status,
    }));

    expect(result).toEqual({ submit: 202, list: 200 });
    await page.close();
  });
});
