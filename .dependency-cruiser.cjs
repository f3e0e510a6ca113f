/**
 * Which way imports may run (`npm run depcheck`, part of `npm test`):
 *
 *   contracts  <-  functions/core  <-  functions/adapters  <-  functions/*.ts (handlers)
 *   contracts  <-  state-machines
 *   contracts, state-machines, core, adapters  <-  local, bench
 *   contracts, state-machines  <-  lib  <-  bin
 *   contracts  <-  cli
 *
 * Paths are relative to the directory depcruise runs in, so test/architecture runs these same rules on
 * a fixture tree laid out like this one.
 */

/** Runtime packages that have no place in a CDK synth (lib/ names handler files by path, never imports them). */
const RUNTIME_PACKAGES =
  '(^|/)node_modules/(@aws-sdk|@smithy|@aws-lambda-powertools|@duckdb|@polyglot-sql|better-sqlite3|aws-local-stepfunctions)/';
/** zod, wherever the tree's node_modules is (the fixture trees of test/architecture resolve the repository's). */
const ZOD = '(^|/)node_modules/zod/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one concern, or a shared part wants its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contracts-import-only-zod',
      severity: 'error',
      comment:
        'contracts/ is what every layer agrees on: its own files, zod and node built-ins, nothing of any layer and no AWS SDK or CDK.',
      from: { path: '^contracts/' },
      to: { pathNot: ['^contracts/', ZOD], dependencyTypesNot: ['core'] },
    },
    {
      name: 'state-machines-import-only-contracts',
      severity: 'error',
      comment:
        'The state-machine module is shared by the stack and the local runtime: it belongs to neither.',
      from: { path: '^state-machines/' },
      to: { pathNot: ['^contracts/', '^state-machines/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'functions/core is pure logic behind ports: contracts, zod and node built-ins only, never an adapter, a handler, the AWS SDK or a layer above.',
      from: { path: '^functions/core/' },
      to: {
        pathNot: ['^functions/core/', '^contracts/', ZOD],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'adapters-not-handlers',
      severity: 'error',
      comment: 'Adapters implement ports; handlers wire them. An adapter never imports a handler.',
      from: { path: '^functions/adapters/' },
      to: { path: '^functions/[^/]+\\.ts$' },
    },
    {
      name: 'memory-adapters-not-aws',
      severity: 'error',
      comment: 'The in-memory adapters run in tests and the simulator: no AWS adapter or SDK.',
      from: { path: '^functions/adapters/memory/' },
      to: { path: ['^functions/adapters/aws/', RUNTIME_PACKAGES] },
    },
    {
      name: 'functions-not-upward',
      severity: 'error',
      comment:
        'functions/ runs in Lambda: it never imports the stack (lib/), the local runtime (local/), the CLI, benchmarks or tests.',
      from: { path: '^functions/' },
      to: { path: '^(lib|local|bin|cli|bench|test|state-machines)/' },
    },
    {
      name: 'lib-imports-contracts-only',
      severity: 'error',
      comment:
        'lib/ is infrastructure: it imports contracts/ and the state-machine module, and names handler files by path. Importing runtime code would load it (and its SDK clients) at synth.',
      from: { path: '^lib/' },
      to: { path: ['^(functions|local|cli|bench|test)/', RUNTIME_PACKAGES] },
    },
    {
      name: 'bin-imports-lib-and-contracts',
      severity: 'error',
      from: { path: '^bin/' },
      to: { path: '^(functions|local|cli|bench|test|state-machines)/' },
    },
    {
      name: 'local-not-lib-nor-handlers',
      severity: 'error',
      comment:
        'The local runtime hosts the core and the adapters; it never imports the stack, nor a Lambda handler (which builds AWS clients at load).',
      from: { path: '^local/' },
      to: { path: ['^(lib|bin|cli|bench|test)/', '^functions/[^/]+\\.ts$'] },
    },
    {
      name: 'cli-imports-contracts-only',
      severity: 'error',
      comment: 'The CLI is an API client: it knows the API by its contracts, not by the code behind it.',
      from: { path: '^cli/' },
      to: { path: '^(functions|lib|local|bin|bench|test|state-machines)/' },
    },
    {
      name: 'bench-runs-the-local-code',
      severity: 'error',
      comment:
        'Benchmarks run the core, the in-memory adapters and the local runtime: never the stack, AWS adapters, handlers, the CLI or tests.',
      from: { path: '^bench/' },
      to: { path: ['^(lib|bin|cli|test)/', '^functions/adapters/aws/', '^functions/[^/]+\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^test/fixtures/' },
    // Type-only imports count: a type from lib/ in functions/ is an upward dependency all the same.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
