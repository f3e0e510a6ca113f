import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const LAYERS = ['bin', 'lib', 'functions', 'local', 'state-machines', 'cli', 'bench', 'contracts', 'test'];

/**
 * A tree laid out like the repository, every file importing only what the layering allows: contracts
 * at the bottom, then the core, the adapters and the handlers; the stack and the local runtime on top.
 */
const LEGAL_TREE: Readonly<Record<string, string>> = {
  'contracts/names.ts': "import { z } from 'zod';\nexport const name = z.string();\n",
  'contracts/routes.ts': "import { name } from './names';\nexport const routes = [name];\n",
  'state-machines/machine.ts': "import { name } from '../contracts/names';\nexport const machine = name;\n",
  'functions/core/logic.ts':
    "import { createHash } from 'node:crypto';\nimport { name } from '../../contracts/names';\nexport const logic = () => [name, createHash];\n",
  'functions/adapters/aws/adapter.ts':
    "import { SQSClient } from '@aws-sdk/client-sqs';\nimport { logic } from '../../core/logic';\nexport const adapter = [logic, SQSClient];\n",
  'functions/adapters/memory/memory.ts':
    "import { logic } from '../../core/logic';\nexport const memory = logic;\n",
  'functions/handler.ts':
    "import { Logger } from '@aws-lambda-powertools/logger';\nimport { adapter } from './adapters/aws/adapter';\nexport const handler = [adapter, Logger];\n",
  'lib/stack.ts':
    "import { Stack } from 'aws-cdk-lib';\nimport { routes } from '../contracts/routes';\nimport { machine } from '../state-machines/machine';\nexport const stack = [Stack, routes, machine];\n",
  'bin/app.ts': "import { stack } from '../lib/stack';\nexport const app = stack;\n",
  'local/runtime.ts':
    "import { adapter } from '../functions/adapters/aws/adapter';\nimport { memory } from '../functions/adapters/memory/memory';\nimport { machine } from '../state-machines/machine';\nexport const runtime = [adapter, memory, machine];\n",
  'bench/bench.ts':
    "import { memory } from '../functions/adapters/memory/memory';\nimport { runtime } from '../local/runtime';\nexport const bench = [memory, runtime];\n",
  'cli/client.ts': "import { routes } from '../contracts/routes';\nexport const client = routes;\n",
  'test/everything.test.ts':
    "import '../bin/app';\nimport '../bench/bench';\nimport '../cli/client';\nimport '../functions/handler';\n",
};

/** Runs the repository's dependency rules on a tree; node_modules is the repository's. */
function cruise(tree: Readonly<Record<string, string>>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'layering-'));
  try {
    for (const [file, source] of Object.entries(tree)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), source);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const run = spawnSync(DEPCRUISE, ['--config', CONFIG, ...LAYERS], { cwd: dir, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The legal tree with one more import in one file. */
function withImport(file: string, specifier: string): Record<string, string> {
  return { ...LEGAL_TREE, [file]: `import '${specifier}';\n${LEGAL_TREE[file] ?? 'export {};\n'}` };
}

describe('the dependency rule (.dependency-cruiser.cjs)', () => {
  it('passes a tree whose imports run one way', () => {
    const result = cruise(LEGAL_TREE);
    expect(result.output).toContain('no dependency violations found');
    expect(result.status).toBe(0);
  });

  it.each([
    ['functions-not-upward', 'functions/handler.ts', '../lib/stack'],
    ['functions-not-upward', 'functions/adapters/aws/adapter.ts', '../../../local/runtime'],
    ['core-is-pure', 'functions/core/logic.ts', '../adapters/memory/memory'],
    ['core-is-pure', 'functions/core/logic.ts', '@aws-sdk/client-sqs'],
    ['adapters-not-handlers', 'functions/adapters/aws/adapter.ts', '../../handler'],
    ['memory-adapters-not-aws', 'functions/adapters/memory/memory.ts', '../aws/adapter'],
    ['lib-imports-contracts-only', 'lib/stack.ts', '../functions/handler'],
    ['lib-imports-contracts-only', 'lib/stack.ts', '../functions/core/logic'],
    ['lib-imports-contracts-only', 'lib/stack.ts', '@aws-lambda-powertools/logger'],
    ['local-not-lib-nor-handlers', 'local/runtime.ts', '../lib/stack'],
    ['local-not-lib-nor-handlers', 'local/runtime.ts', '../functions/handler'],
    ['contracts-import-only-zod', 'contracts/names.ts', '@aws-sdk/client-sqs'],
    ['contracts-import-only-zod', 'contracts/routes.ts', '../lib/stack'],
    ['contracts-import-only-zod', 'contracts/routes.ts', 'aws-cdk-lib'],
    ['state-machines-import-only-contracts', 'state-machines/machine.ts', '../functions/core/logic'],
    ['cli-imports-contracts-only', 'cli/client.ts', '../functions/core/logic'],
    ['bench-runs-the-local-code', 'bench/bench.ts', '../lib/stack'],
    ['bench-runs-the-local-code', 'bench/bench.ts', '../functions/adapters/aws/adapter'],
    ['bin-imports-lib-and-contracts', 'bin/app.ts', '../local/runtime'],
  ])('fails on %s: %s importing %s', (rule, file, specifier) => {
    const result = cruise(withImport(file, specifier));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(`error ${rule}: ${file}`);
  });

  it('fails on a cycle, naming it', () => {
    const result = cruise({
      ...LEGAL_TREE,
      'functions/core/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'functions/core/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/error no-circular: functions\/core\/a\.ts/);
  });
});
