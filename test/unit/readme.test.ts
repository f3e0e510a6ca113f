import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, workloadClassSchema } from '../../contracts/config';
import { MAX_QUERY_BYTES } from '../../contracts/submission';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('has a case-study config example that validates', () => {
    const block = /### The case study as a config[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const config = parseConfig(JSON.parse(block![1]));
    expect(Object.keys(config.classes)).toEqual(['predictable', 'fast', 'long', 'exploratory', 'adhoc']);
  });

  it('documents every config key of a workload class', () => {
    const classKeys = Object.keys(workloadClassSchema.shape);
    for (const key of classKeys) expect(readme).toContain(`classes.<name>.${key}`);
  });

  it('states the longest query the API accepts as the schema computes it', () => {
    expect(readme).toContain(`up to\n${MAX_QUERY_BYTES.toLocaleString('en-US')} bytes`);
  });

  it('gives the two quick-start commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('./scripts/install-test-deps.sh && npm test');
  });
});
