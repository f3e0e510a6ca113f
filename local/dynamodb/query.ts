import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ValidationError } from './errors';
import {
  type ConditionAst,
  type DocumentPath,
  type Operand,
  parseConditionExpression,
  parseProjectionExpression,
} from './expression-parser';
import { type Document, type DocValue, readPath, withPlaceholders } from './update-expression';

/** Key attributes of a table or of one of its global secondary indexes (string or number values). */
export interface KeySchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export type QuerySelect = 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT';

/** Query's request, as the AWS API takes it. */
export interface QueryParams {
  readonly TableName: string;
  /** A global secondary index of the table (projection ALL). */
  readonly IndexName?: string;
  readonly KeyConditionExpression: string;
  readonly FilterExpression?: string;
  readonly ProjectionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Readonly<Record<string, AttributeValue>>;
  /** Most items to evaluate (before the filter), as DynamoDB counts them. */
  readonly Limit?: number;
  readonly ScanIndexForward?: boolean;
  readonly ExclusiveStartKey?: Readonly<Record<string, AttributeValue>>;
  readonly Select?: QuerySelect;
  /** Reads of the table are always consistent locally; an index refuses it, as on AWS. */
  readonly ConsistentRead?: boolean;
}

/** The sort-key part of a key condition, as bounds an SQL index can seek to. */
export type SortKeyCondition =
  | { readonly op: '=' | '<' | '<=' | '>' | '>='; readonly value: string | number }
  | { readonly op: 'between'; readonly low: string | number; readonly high: string | number }
  | { readonly op: 'begins_with'; readonly prefix: string };

/** A checked Query: the partition and sort range to read, and what to keep of each item read. */
export interface CompiledQuery {
  readonly partition: string | number;
  readonly sort?: SortKeyCondition;
  readonly filter?: ConditionAst;
  readonly projection?: readonly DocumentPath[];
  readonly values: Readonly<Record<string, DocValue>>;
}

const KEY_CONDITION_HELP =
  'a key condition is `partitionKey = :value`, optionally AND one condition on the sort key ' +
  '(=, <, <=, >, >=, BETWEEN or begins_with)';

/**
 * Parses and checks a Query's expressions as DynamoDB does for the queried key schema (the table's or
 * the index's): the key condition names the partition key with `=` and at most one sort-key condition,
 * the filter names no key attribute, and every placeholder is used by one of the three expressions.
 */
export function compileQuery(params: QueryParams, keys: KeySchema): CompiledQuery {
  const { parsed, values } = withPlaceholders(
    params.ExpressionAttributeNames,
    params.ExpressionAttributeValues,
    (context) => ({
      key: parseConditionExpression(params.KeyConditionExpression ?? '', context, 'KeyConditionExpression'),
      filter:
        params.FilterExpression !== undefined
          ? parseConditionExpression(params.FilterExpression, context, 'FilterExpression')
          : undefined,
      projection:
        params.ProjectionExpression !== undefined
          ? parseProjectionExpression(params.ProjectionExpression, context)
          : undefined,
    }),
  );
  if (params.Select === 'SPECIFIC_ATTRIBUTES' && !parsed.projection) {
    throw new ValidationError('Select SPECIFIC_ATTRIBUTES needs a ProjectionExpression');
  }
  if (parsed.projection && params.Select && params.Select !== 'SPECIFIC_ATTRIBUTES') {
    throw new ValidationError(
      `Cannot specify the ProjectionExpression when choosing to get ${params.Select}`,
    );
  }
  for (const path of parsed.projection ?? []) {
    if (path.some((element) => typeof element === 'number')) {
      throw new ValidationError(
        'Invalid ProjectionExpression: the local DynamoDB projects attributes and map paths, not list elements',
      );
    }
  }
  if (parsed.filter) {
    const keyName = pathsOf(parsed.filter).find((p) => p[0] === keys.partitionKey || p[0] === keys.sortKey);
    if (keyName) {
      throw new ValidationError(
        `Filter Expression can only contain non-primary key attributes: Primary key attribute: ${keyName[0]}`,
      );
    }
  }
  return {
    ...keyRange(parsed.key, keys, values),
    ...(parsed.filter ? { filter: parsed.filter } : {}),
    ...(parsed.projection ? { projection: parsed.projection } : {}),
    values,
  };
}

/** The item with only the projected paths (those it has). */
export function project(doc: Document, paths: readonly DocumentPath[]): Document {
  const out: Document = {};
  for (const path of paths) {
    const value = readPath(doc, path);
    if (value === undefined) continue;
    let target: Record<string, DocValue> = out;
    for (const element of path.slice(0, -1) as string[]) {
      const next = target[element];
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
        target[element] = {};
      }
      target = target[element] as Record<string, DocValue>;
    }
    target[path[path.length - 1] as string] = value;
  }
  return out;
}

function keyRange(
  condition: ConditionAst,
  keys: KeySchema,
  values: Readonly<Record<string, DocValue>>,
): { partition: string | number; sort?: SortKeyCondition } {
  const parts = condition.kind === 'and' ? [condition.left, condition.right] : [condition];
  let partition: string | number | undefined;
  let sort: SortKeyCondition | undefined;
  const unsupported = () => new ValidationError(`Query key condition not supported: ${KEY_CONDITION_HELP}`);
  for (const part of parts) {
    const attribute = keyAttributeOf(part);
    if (
      attribute === keys.partitionKey &&
      part.kind === 'compare' &&
      part.op === '=' &&
      partition === undefined
    ) {
      partition = keyValue(part.right, values);
    } else if (attribute !== undefined && attribute === keys.sortKey && sort === undefined) {
      sort = sortCondition(part, values);
    } else {
      throw unsupported();
    }
  }
  if (partition === undefined) {
    throw new ValidationError(`Query condition missed key schema element: ${keys.partitionKey}`);
  }
  return sort ? { partition, sort } : { partition };
}

/** The key attribute a key-condition part is about (`#k op :v`, `#k BETWEEN ...`, `begins_with(#k, :v)`). */
function keyAttributeOf(part: ConditionAst): string | undefined {
  const subject =
    part.kind === 'compare' && part.right.kind === 'value'
      ? part.left
      : part.kind === 'between'
        ? part.operand
        : part.kind === 'function' && part.fn === 'begins_with'
          ? part.args[0]
          : undefined;
  return subject?.kind === 'path' && subject.path.length === 1 && typeof subject.path[0] === 'string'
    ? subject.path[0]
    : undefined;
}

function sortCondition(part: ConditionAst, values: Readonly<Record<string, DocValue>>): SortKeyCondition {
  if (part.kind === 'compare' && part.op !== '<>')
    return { op: part.op, value: keyValue(part.right, values) };
  if (part.kind === 'between') {
    const low = keyValue(part.low, values);
    const high = keyValue(part.high, values);
    const inOrder =
      typeof low === 'number' && typeof high === 'number'
        ? low <= high
        : Buffer.compare(Buffer.from(String(low)), Buffer.from(String(high))) <= 0;
    if (!inOrder) {
      throw new ValidationError(
        'Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound',
      );
    }
    return { op: 'between', low, high };
  }
  if (part.kind === 'function' && part.fn === 'begins_with') {
    const prefix = keyValue(part.args[1], values);
    if (typeof prefix !== 'string') {
      throw new ValidationError(
        'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N',
      );
    }
    return { op: 'begins_with', prefix };
  }
  throw new ValidationError(`Query key condition not supported: ${KEY_CONDITION_HELP}`);
}

function keyValue(operand: Operand, values: Readonly<Record<string, DocValue>>): string | number {
  const value = operand.kind === 'value' ? values[operand.ref] : undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new ValidationError(
      'One or more parameter values were invalid: Condition parameter type does not match schema type',
    );
  }
  return value;
}

/** Every document path a condition reads. */
function pathsOf(condition: ConditionAst): DocumentPath[] {
  const ofOperand = (operand: Operand): DocumentPath[] => {
    switch (operand.kind) {
      case 'path':
        return [operand.path];
      case 'value':
        return [];
      case 'call':
        return operand.args.flatMap(ofOperand);
      case 'arithmetic':
        return [...ofOperand(operand.left), ...ofOperand(operand.right)];
    }
  };
  switch (condition.kind) {
    case 'and':
    case 'or':
      return [...pathsOf(condition.left), ...pathsOf(condition.right)];
    case 'not':
      return pathsOf(condition.operand);
    case 'compare':
      return [...ofOperand(condition.left), ...ofOperand(condition.right)];
    case 'between':
      return [condition.operand, condition.low, condition.high].flatMap(ofOperand);
    case 'in':
      return [condition.operand, ...condition.list].flatMap(ofOperand);
    case 'function':
      return condition.args.flatMap(ofOperand);
  }
}

/** Where a Query reads in the `documents` table: the SQL expressions of its partition and sort keys. */
export interface KeyColumns {
  readonly partition: string;
  readonly sort?: string;
  /** An index's entries with equal keys are ordered by the table key (`pk`), so a page resumes exactly. */
  readonly tieBreak: boolean;
}

/** The key columns of a table (its key is `pk`, a JSON array) or of one of its indexes (JSON paths of `doc`). */
export function keyColumnsOf(table: KeySchema, index?: KeySchema): KeyColumns {
  if (!index) {
    return {
      partition: "json_extract(pk, '$[0]')",
      ...(table.sortKey ? { sort: "json_extract(pk, '$[1]')" } : {}),
      tieBreak: false,
    };
  }
  const column = (name: string) => `json_extract(doc, '$.${name}')`;
  return {
    partition: column(index.partitionKey),
    ...(index.sortKey ? { sort: column(index.sortKey) } : {}),
    tieBreak: true,
  };
}

/** Where a page resumes: the sort key and table key of the last item read. */
export interface StartAfter {
  readonly sort?: string | number;
  readonly pk: string;
}

/**
 * The SQL of a Query: one partition's rows in key order from `after`, within the sort condition, at
 * most `limit`. Written so the expression indexes of the `documents` table serve it (the partition
 * and sort expressions are those of the index), never a scan of the table.
 */
export function querySql(
  tableName: string,
  columns: KeyColumns,
  query: Pick<CompiledQuery, 'partition' | 'sort'>,
  options: { readonly forward: boolean; readonly after?: StartAfter; readonly limit?: number },
): { readonly sql: string; readonly args: (string | number)[] } {
  const where = ['table_name = ?', `${columns.partition} = ?`];
  const args: (string | number)[] = [tableName, query.partition];
  const sort = columns.sort;
  if (sort) {
    // An index leaves out items without its sort key (a sparse index).
    if (columns.tieBreak) where.push(`${sort} IS NOT NULL`);
    const condition = query.sort;
    if (condition?.op === 'between') {
      where.push(`${sort} >= ?`, `${sort} <= ?`);
      args.push(condition.low, condition.high);
    } else if (condition?.op === 'begins_with') {
      where.push(`${sort} >= ?`, `instr(${sort}, ?) = 1`);
      args.push(condition.prefix, condition.prefix);
    } else if (condition) {
      where.push(`${sort} ${condition.op} ?`);
      args.push(condition.value);
    }
  }
  const [after, order] = options.forward ? ['>', 'ASC'] : ['<', 'DESC'];
  if (options.after) {
    if (sort && columns.tieBreak) {
      where.push(`(${sort} ${after} ? OR (${sort} = ? AND pk ${after} ?))`);
      args.push(
        options.after.sort as string | number,
        options.after.sort as string | number,
        options.after.pk,
      );
    } else if (sort) {
      where.push(`${sort} ${after} ?`);
      args.push(options.after.sort as string | number);
    } else {
      where.push(`pk ${after} ?`);
      args.push(options.after.pk);
    }
  }
  const orderBy = [
    ...(sort ? [`${sort} ${order}`] : []),
    ...(columns.tieBreak || !sort ? [`pk ${order}`] : []),
  ];
  return {
    sql: `SELECT pk, doc FROM documents WHERE ${where.join(' AND ')} ORDER BY ${orderBy.join(', ')}${
      options.limit !== undefined ? ' LIMIT ?' : ''
    }`,
    args: [...args, ...(options.limit !== undefined ? [options.limit] : [])],
  };
}
