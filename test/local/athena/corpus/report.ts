/**
 * `npm run corpus`: runs the Athena SQL corpus (this folder) on the local engine and
 * prints how many queries run unchanged, the figure local/athena/README.md states.
 */
import '../../../../local/polyfills';
import { runCorpus, summarize } from './corpus';

async function main(): Promise<void> {
  const results = await runCorpus();
  for (const r of results.filter((x) => !x.ok)) console.log(`FAILED ${r.query.name}: ${r.detail}`);
  const { unchanged, total, unsupported } = summarize(results);
  console.log(`${unchanged} of the ${total} queries of the corpus run unchanged.`);
  console.log(`Not supported locally (${unsupported.length}): ${unsupported.join('; ')}`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

void main();
