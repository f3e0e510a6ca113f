#!/usr/bin/env node
import { main } from './program';

/** The `athena-wlm` command: see cli/README.md. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// `athena-wlm results ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readStdin,
  onInterrupt: (handler) => {
    const onSignal = () => {
      handler();
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    return () => process.off('SIGINT', onSignal);
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`athena-wlm: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
