/**
 * Athena (Trino) SQL to DuckDB SQL, on polyglot (`@polyglot-sql/sdk`, a sqlglot-style transpiler
 * built to WebAssembly, with Athena, Trino and DuckDB dialects):
 *
 * 1. polyglot parses the query as Athena SQL;
 * 2. every function the query calls must be one of Athena's (athena-functions.ts): anything else
 *    fails FUNCTION_NOT_FOUND as on Athena, even a function DuckDB has;
 * 3. the tree is rewritten where polyglot's own translation falls short: date/time patterns are
 *    converted to strftime formats (datetime-formats.ts), lambda functions (transform, filter,
 *    reduce, map_filter, ...) become DuckDB's list functions, `x ± INTERVAL` keeps the type of x
 *    (calls of the functions of trino-macros.ts were already renamed to their `__athena_*` macros);
 * 4. polyglot translates the rewritten query from Athena to DuckDB (typed literals, ARRAY[...],
 *    ROW types, count_if, arbitrary, split...). DuckDB functions the rewrite calls by name travel as
 *    `__duckdb_<name>` so that polyglot leaves them alone, and lose the prefix at the end.
 *
 * The result is mapped back to the input by aligning tokens (token-alignment.ts), which keeps
 * DuckDB's error positions pointing at what the user wrote.
 */
import { Dialect, generate, init, isInitialized, parse, transpile } from '@polyglot-sql/sdk';
import { isAthenaFunction } from './athena-functions';
import { FormatNotSupportedError, jodaToStrftime, mysqlToStrftime } from './datetime-formats';
import { RejectedQueryError } from './errors';
import { SqlSyntaxError, tokenize } from './sql-tokenizer';

/** Loads polyglot's WebAssembly module; call once before translating. */
export async function initTranspiler(): Promise<void> {
  if (!isInitialized()) await init();
}

export interface Transpiled {
  readonly sql: string;
  /** Function names the rewrite emitted for a name the user wrote (for the alignment). */
  readonly aliases: ReadonlyMap<string, ReadonlySet<string>>;
}

type Node = { [key: string]: unknown };

/**
 * Translates one Athena query (already with its parameters bound). Throws RejectedQueryError for a
 * function Athena does not have or the local engine cannot run, SqlSyntaxError for a query
 * polyglot cannot read; a query of several statements comes back as several (the caller refuses it).
 */
export function trinoToDuckDb(sql: string): Transpiled {
  const cached = cache.get(sql);
  if (cached) {
    // Most recently used last: the oldest entry is the first one evicted.
    cache.delete(sql);
    cache.set(sql, cached);
    return cached;
  }
  const translated = translate(sql);
  cache.set(sql, translated);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return translated;
}

/** Translations of recent queries (a translation takes milliseconds; dashboards repeat queries). */
const cache = new Map<string, Transpiled>();
const CACHE_SIZE = 256;

function translate(sql: string): Transpiled {
  const parsed = parse(sql, Dialect.Athena);
  if (!parsed.success || !Array.isArray(parsed.ast)) {
    const meta = parsed as { error?: string; errorStart?: number };
    throw new SqlSyntaxError(cleanError(meta.error ?? 'syntax error'), meta.errorStart ?? 0);
  }
  const aliases = new Map<string, Set<string>>();
  const context: Context = { sql, aliases, changed: false };
  const tree = parsed.ast.map((statement) => rewrite(statement, context));
  let athena = sql;
  if (context.changed) {
    const generated = generate(tree, Dialect.Athena);
    if (!generated.success || !generated.sql)
      throw new Error(`polyglot could not generate the query: ${generated.error}`);
    athena = generated.sql.join(';\n');
  }
  const duck = transpile(athena, Dialect.Athena, Dialect.DuckDB);
  if (!duck.success || !duck.sql) {
    throw new RejectedQueryError(
      'NOT_SUPPORTED',
      cleanError(duck.error ?? 'the query cannot run locally'),
      undefined,
    );
  }
  return { sql: withoutNativePrefix(duck.sql.join(';\n')), aliases };
}

/** `__duckdb_name` to `name`, on words only (a string that says `__duckdb_` stays as it is). */
function withoutNativePrefix(sql: string): string {
  if (!/__duckdb_/i.test(sql)) return sql;
  let tokens: ReturnType<typeof tokenize>;
  try {
    tokens = tokenize(sql);
  } catch {
    return sql.replace(/\b__duckdb_([A-Za-z0-9_]+)/gi, '$1');
  }
  return tokens
    .map((t) => (t.kind === 'word' && /^__duckdb_/i.test(t.text) ? t.text.slice('__duckdb_'.length) : t.text))
    .join('');
}

function cleanError(message: string): string {
  return message.replace(/^(WASM parse failed|Parse error|Unsupported): ?/i, '');
}

interface Context {
  readonly sql: string;
  readonly aliases: Map<string, Set<string>>;
  /** Whether the rewrite changed the tree (else polyglot translates the text as it is). */
  changed: boolean;
}

/** Rewrites a subtree, children first. */
function rewrite(value: unknown, context: Context): unknown {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, context));
  if (!value || typeof value !== 'object') return value;
  const node: Node = {};
  for (const [key, child] of Object.entries(value as Node)) node[key] = rewrite(child, context);
  if (isNode(node, 'function')) {
    const rewritten = rewriteCall(node.function as Node, context);
    if (!rewritten) return node;
    context.changed = true;
    return rewritten;
  }
  for (const [op, helper] of [
    ['add', '__athena_plus'],
    ['sub', '__athena_minus'],
  ] as const) {
    const arithmetic = node[op] as Node | undefined;
    if (arithmetic && isNode(arithmetic.right, 'interval')) {
      context.changed = true;
      return call(helper, [arithmetic.left, arithmetic.right]);
    }
  }
  return node;
}

function isNode(value: unknown, kind: string): value is Node {
  return !!value && typeof value === 'object' && kind in (value as Node);
}

/** A generic function call node. */
function call(name: string, args: unknown[]): Node {
  return {
    function: {
      name,
      args,
      distinct: false,
      trailing_comments: [],
      use_bracket_syntax: false,
      no_parens: false,
      quoted: false,
    },
  };
}

const native = (name: string, ...args: unknown[]) => call(`__duckdb_${name}`, args);

function stringLiteral(value: unknown): string | undefined {
  const literal = (value as Node | undefined)?.literal as Node | undefined;
  return literal?.literal_type === 'string' ? String(literal.value) : undefined;
}

function literal(value: string): Node {
  return { literal: { literal_type: 'string', value } };
}

function rewriteCall(fn: Node, context: Context): Node | undefined {
  const written = String(fn.name);
  const name = written.toLowerCase();
  // Calls of macros were renamed on tokens (translate.ts), before parsing.
  if (name.startsWith('__athena_')) return undefined;
  if (name.startsWith('__duckdb_') || !isAthenaFunction(name)) {
    throw new RejectedQueryError(
      'FUNCTION_NOT_FOUND',
      `Function '${name}' not registered`,
      callPosition(context, name),
    );
  }
  const args = (fn.args as unknown[]) ?? [];
  const emitted = (target: string, node: Node) => {
    const set = context.aliases.get(name) ?? new Set<string>();
    set.add(target.replace(/^__duckdb_/, ''));
    context.aliases.set(name, set);
    return node;
  };
  const special = rewriteSpecial(name, args, context);
  if (special) return emitted(special.target, special.node);
  return undefined;
}

function rewriteSpecial(
  name: string,
  args: unknown[],
  context: Context,
): { target: string; node: Node } | undefined {
  const pattern = (converter: (p: string, use: 'format' | 'parse') => string, use: 'format' | 'parse') => {
    const text = stringLiteral(args[1]);
    if (text === undefined || args.length !== 2) {
      throw new RejectedQueryError(
        'NOT_SUPPORTED',
        `${name} takes a value and a string literal pattern in the local Athena engine`,
        callPosition(context, name),
      );
    }
    try {
      return literal(converter(text, use));
    } catch (error) {
      if (error instanceof FormatNotSupportedError)
        throw new RejectedQueryError('INVALID_FUNCTION_ARGUMENT', error.message, callPosition(context, name));
      throw error;
    }
  };
  switch (name) {
    case 'date_format':
      return { target: 'strftime', node: native('strftime', args[0], pattern(mysqlToStrftime, 'format')) };
    case 'format_datetime':
      return { target: 'strftime', node: native('strftime', args[0], pattern(jodaToStrftime, 'format')) };
    case 'date_parse':
      return { target: 'strptime', node: native('strptime', args[0], pattern(mysqlToStrftime, 'parse')) };
    case 'parse_datetime':
      return {
        target: 'strptime',
        node: call('__athena_with_tz', [native('strptime', args[0], pattern(jodaToStrftime, 'parse'))]),
      };
    case 'format':
      return { target: 'printf', node: native('printf', ...args) };
    case 'transform':
      return { target: 'list_transform', node: native('list_transform', ...args) };
    case 'filter':
      return { target: 'list_filter', node: native('list_filter', ...args) };
    case 'reduce': {
      // reduce(a, initial, (s, x) -> ..., s -> ...): the output function applied to DuckDB's list_reduce.
      if (args.length !== 4) {
        throw new RejectedQueryError(
          'FUNCTION_NOT_FOUND',
          'reduce takes an array, an initial state, an input function and an output function',
          callPosition(context, name),
        );
      }
      const [array, initial, step, output] = args;
      const reduced = native('list_reduce', array, step, initial);
      return {
        target: 'list_reduce',
        node: native('list_extract', native('list_transform', native('list_value', reduced), output), {
          literal: { literal_type: 'number', value: '1' },
        }),
      };
    }
    case 'any_match':
      return {
        target: 'list_bool_or',
        node: native('coalesce', native('list_bool_or', native('list_transform', ...args)), bool(false)),
      };
    case 'all_match':
      return {
        target: 'list_bool_and',
        node: native('coalesce', native('list_bool_and', native('list_transform', ...args)), bool(true)),
      };
    case 'none_match':
      return {
        target: 'list_bool_or',
        node: native(
          'coalesce',
          call('__athena_not', [native('list_bool_or', native('list_transform', ...args))]),
          bool(true),
        ),
      };
    case 'transform_values':
    case 'transform_keys':
    case 'map_filter': {
      const [map, fn] = args;
      const body = entryLambda(fn, name, context);
      if (name === 'map_filter') {
        return {
          target: 'map_from_entries',
          node: native('map_from_entries', native('list_filter', native('map_entries', map), body)),
        };
      }
      const mapped = native('list_transform', native('map_entries', map), body);
      return name === 'transform_values'
        ? { target: 'map', node: native('map', native('map_keys', map), mapped) }
        : { target: 'map', node: native('map', mapped, native('map_values', map)) };
    }
    default:
      return undefined;
  }
}

function bool(value: boolean): Node {
  return { boolean: { value } };
}

/** `(k, v) -> body` as `__e -> body` over a map entry (k is __e.key, v is __e.value). */
function entryLambda(fn: unknown, name: string, context: Context): Node {
  const lambda = (fn as Node | undefined)?.lambda as Node | undefined;
  const params = (lambda?.parameters as { name: string }[] | undefined)?.map((p) => p.name.toLowerCase());
  if (!lambda || params?.length !== 2) {
    throw new RejectedQueryError(
      'INVALID_FUNCTION_ARGUMENT',
      `${name} takes a map and a lambda of two arguments (k, v) -> ...`,
      callPosition(context, name),
    );
  }
  const field = (key: string): Node => ({
    column: { name: { name: key, quoted: false }, table: { name: '__e', quoted: false }, join_mark: false },
  });
  const substitute = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(substitute);
    if (!value || typeof value !== 'object') return value;
    const column = (value as Node).column as Node | undefined;
    if (column && column.table === null) {
      const at = params.indexOf(String((column.name as Node).name).toLowerCase());
      if (at >= 0) return field(at === 0 ? 'key' : 'value');
    }
    return Object.fromEntries(Object.entries(value as Node).map(([k, v]) => [k, substitute(v)]));
  };
  return {
    lambda: { ...lambda, parameters: [{ name: '__e', quoted: false }], body: substitute(lambda.body) },
  };
}

/** Where the first call of `name` starts in the text (the tree carries no position for calls). */
function callPosition(context: Context, name: string): number | undefined {
  let tokens: ReturnType<typeof tokenize>;
  try {
    tokens = tokenize(context.sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  } catch {
    return undefined;
  }
  const at = tokens.findIndex(
    (t, i) => t.kind === 'word' && t.text.toLowerCase() === name && tokens[i + 1]?.text === '(',
  );
  return at >= 0 ? tokens[at].start : undefined;
}
