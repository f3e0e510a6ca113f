import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { convertToNative, marshall } from '@aws-sdk/util-dynamodb';
import { ValidationError } from './errors';
import {
  type Comparator,
  type ConditionAst,
  type DocumentPath,
  type Operand,
  type ParseContext,
  parseConditionExpression,
  parseUpdateExpression,
  type UpdateAst,
} from './expression-parser';

/**
 * The UpdateItem interpreter: evaluates a parsed ConditionExpression against an item and applies a
 * parsed UpdateExpression to it, with DynamoDB's rules. Items are plain JSON documents (what
 * `unmarshall` gives for S, N, BOOL, NULL, M and L); sets and binary are not supported.
 */

/** A DynamoDB value as a JSON value: S string, N number, BOOL boolean, NULL null, L array, M object. */
export type DocValue = string | number | boolean | null | DocValue[] | { [key: string]: DocValue };
/** An item: attribute name to value. */
export type Document = { [attribute: string]: DocValue };

/** The expression fields of UpdateItem, PutItem and DeleteItem, as the AWS API (and the ASL) passes them. */
export interface ExpressionParams {
  readonly UpdateExpression?: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Readonly<Record<string, AttributeValue>>;
}

/** Parsed and checked expressions, with the placeholder values converted to JSON. */
export interface CompiledExpressions {
  readonly update?: UpdateAst;
  readonly condition?: ConditionAst;
  readonly values: Readonly<Record<string, DocValue>>;
}

/**
 * Parses the expressions and checks the placeholders as DynamoDB does: every `#name` and `:value`
 * used is defined, and every one defined is used.
 */
export function compileExpressions(params: ExpressionParams): CompiledExpressions {
  const { parsed, values } = withPlaceholders(
    params.ExpressionAttributeNames,
    params.ExpressionAttributeValues,
    (context) => ({
      update:
        params.UpdateExpression !== undefined
          ? parseUpdateExpression(params.UpdateExpression, context)
          : undefined,
      condition:
        params.ConditionExpression !== undefined
          ? parseConditionExpression(params.ConditionExpression, context)
          : undefined,
    }),
  );
  return { ...parsed, values };
}

/**
 * Runs `parse` over a request's expressions with its placeholders, converting the values to JSON,
 * then checks the placeholders as DynamoDB does across all of the request's expressions: every
 * `#name` and `:value` used is defined, and every one defined is used.
 */
export function withPlaceholders<T>(
  names: Readonly<Record<string, string>> | undefined,
  rawValues: Readonly<Record<string, AttributeValue>> | undefined,
  parse: (context: ParseContext) => T,
): { readonly parsed: T; readonly values: Readonly<Record<string, DocValue>> } {
  if (names && Object.keys(names).length === 0) {
    throw new ValidationError('ExpressionAttributeNames must not be empty');
  }
  if (rawValues && Object.keys(rawValues).length === 0) {
    throw new ValidationError('ExpressionAttributeValues must not be empty');
  }
  const values: Record<string, DocValue> = {};
  for (const [ref, value] of Object.entries(rawValues ?? {})) {
    values[ref] = toDocValue(value, `ExpressionAttributeValues ${ref}`);
  }
  const context: ParseContext = { names, values, usedNames: new Set(), usedValues: new Set() };
  const parsed = parse(context);
  const unusedNames = Object.keys(names ?? {}).filter((n) => !context.usedNames.has(n));
  if (unusedNames.length > 0) {
    throw new ValidationError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  }
  const unusedValues = Object.keys(values).filter((v) => !context.usedValues.has(v));
  if (unusedValues.length > 0) {
    throw new ValidationError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
  }
  return { parsed, values };
}

/** Evaluates a condition; a missing attribute compares false (but `<>` true), as in DynamoDB. */
export function evaluateCondition(
  condition: ConditionAst,
  item: Document | undefined,
  values: Readonly<Record<string, DocValue>>,
): boolean {
  const doc = item ?? {};
  const read = (operand: Operand) => conditionOperand(operand, doc, values);
  switch (condition.kind) {
    case 'and':
      return (
        evaluateCondition(condition.left, doc, values) && evaluateCondition(condition.right, doc, values)
      );
    case 'or':
      return (
        evaluateCondition(condition.left, doc, values) || evaluateCondition(condition.right, doc, values)
      );
    case 'not':
      return !evaluateCondition(condition.operand, doc, values);
    case 'compare':
      return compare(condition.op, read(condition.left), read(condition.right));
    case 'between': {
      const value = read(condition.operand);
      return compare('>=', value, read(condition.low)) && compare('<=', value, read(condition.high));
    }
    case 'in': {
      const value = read(condition.operand);
      return value !== undefined && condition.list.some((candidate) => equals(value, read(candidate)));
    }
    case 'function':
      return evaluateFunction(condition.fn, condition.args.map(read));
  }
}

function evaluateFunction(
  fn: Extract<ConditionAst, { kind: 'function' }>['fn'],
  args: (DocValue | undefined)[],
): boolean {
  const [subject, operand] = args;
  switch (fn) {
    case 'attribute_exists':
      return subject !== undefined;
    case 'attribute_not_exists':
      return subject === undefined;
    case 'attribute_type':
      if (
        typeof operand !== 'string' ||
        !['S', 'N', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS', 'B'].includes(operand)
      ) {
        throw new ValidationError(
          `Invalid ConditionExpression: Invalid attribute type name found in type function; type: ${String(operand)}`,
        );
      }
      return subject !== undefined && typeOf(subject) === operand;
    case 'begins_with':
      return typeof subject === 'string' && typeof operand === 'string' && subject.startsWith(operand);
    case 'contains':
      if (typeof subject === 'string') return typeof operand === 'string' && subject.includes(operand);
      if (Array.isArray(subject))
        return operand !== undefined && subject.some((element) => equals(element, operand));
      return false;
  }
}

function conditionOperand(
  operand: Operand,
  doc: Document,
  values: Readonly<Record<string, DocValue>>,
): DocValue | undefined {
  switch (operand.kind) {
    case 'path':
      return readPath(doc, operand.path);
    case 'value':
      return values[operand.ref];
    case 'call': {
      // The parser allows only size() in conditions.
      const value = conditionOperand(operand.args[0], doc, values);
      if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
      if (Array.isArray(value)) return value.length;
      if (value !== null && typeof value === 'object') return Object.keys(value).length;
      return undefined;
    }
    case 'arithmetic':
      throw new ValidationError(
        'Invalid ConditionExpression: arithmetic is not allowed in a condition expression',
      );
  }
}

/** Applies SET, REMOVE and ADD to a copy of the item. Every SET value is computed from the item as it was. */
export function applyUpdate(
  update: UpdateAst,
  item: Document,
  values: Readonly<Record<string, DocValue>>,
): Document {
  const assignments = update.set.map((action) => ({
    path: action.path,
    value: setOperand(action.value, item, values),
  }));
  const result = structuredClone(item) as Document;
  for (const { path, value } of assignments) writePath(result, path, value);
  // Remove list elements from the highest index down, so that earlier removals do not shift later ones.
  const listIndex = (path: DocumentPath) => {
    const last = path[path.length - 1];
    return typeof last === 'number' ? last : -1;
  };
  const removals = [...update.remove].sort((a, b) => listIndex(b) - listIndex(a));
  for (const path of removals) removePath(result, path);
  for (const action of update.add) {
    const addend = values[action.ref];
    if (typeof addend !== 'number') {
      throw new ValidationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeName(addend)}` +
          ' (the local DynamoDB supports ADD on numbers only)',
      );
    }
    const current = readPath(result, action.path);
    if (current !== undefined && typeof current !== 'number') {
      throw new ValidationError('An operand in the update expression has an incorrect data type');
    }
    writePath(result, action.path, (current ?? 0) + addend);
  }
  if (update.delete.length > 0) {
    throw new ValidationError(
      'Invalid UpdateExpression: DELETE works on sets, which the local DynamoDB does not support',
    );
  }
  return result;
}

function setOperand(operand: Operand, item: Document, values: Readonly<Record<string, DocValue>>): DocValue {
  switch (operand.kind) {
    case 'value':
      return values[operand.ref];
    case 'path': {
      const value = readPath(item, operand.path);
      if (value === undefined) {
        throw new ValidationError(
          'The provided expression refers to an attribute that does not exist in the item',
        );
      }
      return value;
    }
    case 'arithmetic': {
      const left = setOperand(operand.left, item, values);
      const right = setOperand(operand.right, item, values);
      if (typeof left !== 'number' || typeof right !== 'number') {
        throw new ValidationError('An operand in the update expression has an incorrect data type');
      }
      return operand.op === '+' ? left + right : left - right;
    }
    case 'call': {
      if (operand.fn === 'if_not_exists') {
        const existing = readPath(item, (operand.args[0] as { path: DocumentPath }).path);
        return existing !== undefined ? existing : setOperand(operand.args[1], item, values);
      }
      if (operand.fn === 'list_append') {
        const [first, second] = operand.args.map((arg) => setOperand(arg, item, values));
        for (const list of [first, second]) {
          if (!Array.isArray(list)) {
            throw new ValidationError(
              `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ${typeOf(list)}`,
            );
          }
        }
        return [...(first as DocValue[]), ...(second as DocValue[])];
      }
      throw new ValidationError(
        `Invalid UpdateExpression: The function is not allowed in an update expression; function: ${operand.fn}`,
      );
    }
  }
}

/** The value at a path, or undefined when any step is missing or of the wrong type. */
export function readPath(doc: Document, path: DocumentPath): DocValue | undefined {
  let current: DocValue | undefined = doc;
  for (const element of path) {
    if (typeof element === 'number') {
      current = Array.isArray(current) ? current[element] : undefined;
    } else {
      current = isMap(current) && Object.hasOwn(current, element) ? current[element] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';

function parentOf(doc: Document, path: DocumentPath): DocValue {
  const parent = readPath(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (typeof last === 'number' ? !Array.isArray(parent) : !isMap(parent))
    throw new ValidationError(INVALID_PATH);
  return parent as DocValue;
}

function writePath(doc: Document, path: DocumentPath, value: DocValue): void {
  const parent = parentOf(doc, path);
  const last = path[path.length - 1];
  if (typeof last === 'number') {
    const list = parent as DocValue[];
    // Like DynamoDB, an index past the end appends.
    list[Math.min(last, list.length)] = structuredClone(value);
  } else {
    (parent as Record<string, DocValue>)[last] = structuredClone(value);
  }
}

function removePath(doc: Document, path: DocumentPath): void {
  const parent = parentOf(doc, path);
  const last = path[path.length - 1];
  if (typeof last === 'number') {
    const list = parent as DocValue[];
    if (last < list.length) list.splice(last, 1);
  } else {
    delete (parent as Record<string, DocValue>)[last];
  }
}

function isMap(value: DocValue | undefined): value is { [key: string]: DocValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The DynamoDB type of a JSON value. */
export function typeOf(value: DocValue | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'NULL';
  if (typeof value === 'string') return 'S';
  if (typeof value === 'number') return 'N';
  if (typeof value === 'boolean') return 'BOOL';
  return Array.isArray(value) ? 'L' : 'M';
}

function typeName(value: DocValue | undefined): string {
  const names: Record<string, string> = {
    S: 'STRING',
    N: 'NUMBER',
    BOOL: 'BOOLEAN',
    NULL: 'NULL',
    L: 'LIST',
    M: 'MAP',
  };
  return names[typeOf(value)] ?? 'missing';
}

/** Equality with types: `1` and `"1"` differ, maps and lists compare element by element. */
export function equals(a: DocValue | undefined, b: DocValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a)) {
    const list = b as DocValue[];
    return a.length === list.length && a.every((element, i) => equals(element, list[i]));
  }
  if (isMap(a)) {
    const map = b as Record<string, DocValue>;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(map).length &&
      keys.every((k) => Object.hasOwn(map, k) && equals(a[k], map[k]))
    );
  }
  return a === b;
}

function compare(op: Comparator, a: DocValue | undefined, b: DocValue | undefined): boolean {
  if (op === '=') return equals(a, b);
  if (op === '<>') return !equals(a, b);
  let order: number;
  if (typeof a === 'number' && typeof b === 'number') order = a - b;
  // DynamoDB orders strings by their UTF-8 bytes.
  else if (typeof a === 'string' && typeof b === 'string')
    order = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  else return false;
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
  return false;
}

const SUPPORTED_TYPES = ['S', 'N', 'BOOL', 'NULL', 'M', 'L'];

/** Converts one DynamoDB JSON value (`{S}`, `{N}`, `{BOOL}`, `{NULL}`, `{M}`, `{L}`) to JSON, checking it as DynamoDB does. */
export function toDocValue(value: AttributeValue, where: string): DocValue {
  checkAttributeValue(value, where);
  try {
    return convertToNative(value) as DocValue;
  } catch (error) {
    throw new ValidationError(`${where}: ${(error as Error).message}`);
  }
}

function checkAttributeValue(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`${where}: an attribute value must be an object such as {"S": "text"}`);
  }
  const types = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (types.length !== 1) {
    throw new ValidationError(
      `${where}: Supplied AttributeValue has ${types.length === 0 ? 'no' : 'more than one'} datatypes set, must contain exactly one of the supported datatypes`,
    );
  }
  const [type] = types;
  const inner = (value as Record<string, unknown>)[type];
  if (!SUPPORTED_TYPES.includes(type)) {
    throw new ValidationError(
      `${where}: attribute values of type ${type} are not supported by the local DynamoDB (use ${SUPPORTED_TYPES.join(', ')})`,
    );
  }
  if (type === 'S' && typeof inner !== 'string')
    throw new ValidationError(`${where}: an S value must be a string`);
  if (
    type === 'N' &&
    (typeof inner !== 'string' || !/^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(inner))
  ) {
    throw new ValidationError(
      `${where}: The parameter cannot be converted to a numeric value: ${String(inner)}`,
    );
  }
  if (type === 'BOOL' && typeof inner !== 'boolean')
    throw new ValidationError(`${where}: a BOOL value must be true or false`);
  if (type === 'NULL' && inner !== true) {
    throw new ValidationError(
      `${where}: One or more parameter values were invalid: Null attribute value types must have the value of true`,
    );
  }
  if (type === 'L') {
    if (!Array.isArray(inner)) throw new ValidationError(`${where}: an L value must be a list`);
    inner.forEach((element, i) => {
      checkAttributeValue(element, `${where}[${i}]`);
    });
  }
  if (type === 'M') {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner))
      throw new ValidationError(`${where}: an M value must be a map`);
    for (const [key, element] of Object.entries(inner)) checkAttributeValue(element, `${where}.${key}`);
  }
}

/** Converts an item in DynamoDB JSON to a document. */
export function toDocument(item: Readonly<Record<string, AttributeValue>>, where: string): Document {
  const doc: Document = {};
  for (const [name, value] of Object.entries(item)) doc[name] = toDocValue(value, `${where}.${name}`);
  return doc;
}

/** Converts a document to DynamoDB JSON. */
export function toAttributeMap(doc: Document): Record<string, AttributeValue> {
  return marshall(doc, { removeUndefinedValues: true, convertEmptyValues: false });
}
