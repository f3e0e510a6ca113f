import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, type CorpusResult, runCorpus, summarize } from './corpus/corpus';

describe('the Athena SQL corpus', () => {
  let results: CorpusResult[];

  beforeAll(async () => {
    results = await runCorpus();
  }, 300_000);

  it('has at least 80 queries, each with an expected result or a known reason', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CORPUS.map((q) => q.name)).size).toBe(CORPUS.length);
    for (const query of CORPUS) expect(Boolean(query.expected) !== Boolean(query.unsupported)).toBe(true);
  });

  it('runs every query unchanged with its expected result, and fails the unsupported ones as documented', () => {
    const failures = results
      .filter((r) => !r.ok)
      .map((r) => `${r.query.name}: ${r.detail}\n  ${r.query.sql}`);
    expect(failures).toEqual([]);
  });

  it('is the figure the README states (npm run corpus)', () => {
    const { unchanged, total } = summarize(results);
    const readme = readFileSync(join(__dirname, '../../../local/athena/README.md'), 'utf8');
    expect(readme).toContain(`**${unchanged} of the ${total} queries** of the corpus run unchanged`);
  });
});
