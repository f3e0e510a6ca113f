/**
 * `GET /queries/{queryId}/results.csv` streams the result file: concurrent downloads of a large file
 * hold a buffer's worth of it each, not the file.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { QueryRecord } from '../../../functions/core/query-record';
import { LOCAL_RESULTS_BUCKET } from '../../../local/runtime';
import { http, startTestRuntime, type TestRuntime } from './support';

const FILE_MB = 96;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const DOWNLOADS = 4;
let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(() => t?.close());

function succeeded(queryId: string, outputLocation: string): QueryRecord {
  const now = new Date().toISOString();
  return {
    queryId,
    className: 'adhoc',
    query: 'SELECT big',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: now,
    status: 'SUCCEEDED',
    attempts: 1,
    redrives: 0,
    outputLocation,
    finishedAt: now,
    updatedAt: now,
  };
}

/** Reads a response body to its end, keeping only its length. */
async function drain(response: Response): Promise<number> {
  let bytes = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.length;
  }
}

it(`keeps memory flat while ${DOWNLOADS} clients download a ${FILE_MB} MB result at once`, async () => {
  const outputLocation = `s3://${LOCAL_RESULTS_BUCKET}/results/adhoc/big.csv`;
  const path = t.runtime.athena.localPath(outputLocation);
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const line = Buffer.from(`${'"some value",'.repeat(80)}"end"\n`);
  const mb = Buffer.concat(Array.from({ length: Math.ceil((1 << 20) / line.length) }, () => line)).subarray(
    0,
    1 << 20,
  );
  for (let i = 0; i < FILE_MB; i++)
    if (!out.write(mb)) await new Promise<void>((r) => out.once('drain', () => r()));
  out.end();
  await finished(out);
  await t.runtime.ledger.create(succeeded('big', outputLocation));

  // Live memory only: buffers already sent and dropped are collected before each sample.
  const live = () => {
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  const baseline = live();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, live());
  }, 250);
  const sizes = await Promise.all(
    Array.from({ length: DOWNLOADS }, async () => {
      const response = await fetch(`${t.url}/queries/big/results.csv`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(FILE_MB << 20));
      return drain(response);
    }),
  );
  clearInterval(sampler);

  expect(sizes).toEqual(Array(DOWNLOADS).fill(FILE_MB << 20));
  const grewMb = (peak - baseline) / (1 << 20);
  // Reading the file whole holds DOWNLOADS x FILE_MB (390 MB measured) at once; streamed, 7 to 25 MB
  // (socket and client buffers, more when the machine is busy).
  expect(grewMb).toBeLessThan(64);
}, 180_000);

it('answers 410 in JSON when the result file is gone, and 404 for a query without one', async () => {
  await t.runtime.ledger.create(succeeded('gone', `s3://${LOCAL_RESULTS_BUCKET}/results/adhoc/gone.csv`));
  const gone = await http('GET', `${t.url}/queries/gone/results.csv`);
  expect(gone.status).toBe(410);
  expect(gone.body).toMatchObject({ message: expect.stringContaining('gone') });

  const none = await http('GET', `${t.url}/queries/never-ran/results.csv`);
  expect(none.status).toBe(404);
});
