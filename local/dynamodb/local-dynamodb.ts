import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type Database, immediate } from '../store/database';
import { ConditionalCheckFailedError, DynamoDbError, ValidationError } from './errors';
import type { ConditionAst, UpdateAst } from './expression-parser';
import {
  applyUpdate,
  compileExpressions,
  type Document,
  type DocValue,
  type ExpressionParams,
  evaluateCondition,
  toAttributeMap,
  toDocument,
} from './update-expression';

/** Key attributes of a table (string or number values). */
export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export type AttributeMap = Record<string, AttributeValue>;

export type ReturnValue = 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';

/** UpdateItem's request, as the AWS API and the Step Functions integration take it. */
export interface UpdateItemParams extends ExpressionParams {
  readonly TableName: string;
  readonly Key: Readonly<AttributeMap>;
  readonly ReturnValues?: ReturnValue;
}

export interface PutItemParams extends Omit<ExpressionParams, 'UpdateExpression'> {
  readonly TableName: string;
  readonly Item: Readonly<AttributeMap>;
  readonly ReturnValues?: 'NONE' | 'ALL_OLD';
}

export interface DeleteItemParams extends Omit<ExpressionParams, 'UpdateExpression'> {
  readonly TableName: string;
  readonly Key: Readonly<AttributeMap>;
  readonly ReturnValues?: 'NONE' | 'ALL_OLD';
}

/** Query's request: a key condition on the partition key (and optionally the sort key), no filter. */
export interface QueryParams {
  readonly TableName: string;
  readonly KeyConditionExpression: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Readonly<Record<string, AttributeValue>>;
  readonly Limit?: number;
  readonly ScanIndexForward?: boolean;
  readonly ExclusiveStartKey?: Readonly<AttributeMap>;
  readonly Select?: 'ALL_ATTRIBUTES' | 'COUNT';
  /** Always consistent locally. */
  readonly ConsistentRead?: boolean;
}

export interface QueryResult {
  readonly Items?: AttributeMap[];
  readonly Count: number;
  readonly LastEvaluatedKey?: AttributeMap;
}

export interface GetItemParams {
  readonly TableName: string;
  readonly Key: Readonly<AttributeMap>;
  /** Always consistent locally. */
  readonly ConsistentRead?: boolean;
}

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * A DynamoDB stand-in on SQLite, good for what athena-wlm does with DynamoDB: GetItem, PutItem,
 * UpdateItem and DeleteItem with condition and update expressions, and Query on a partition in sort-key
 * order (string sort keys compare by code unit, as DynamoDB's UTF-8 byte order does for them). Items are JSON documents in the
 * `documents` table (one row per item, keyed by table name and key), so SQL can index and query
 * them; every write is one `BEGIN IMMEDIATE` transaction, so a condition and its write are atomic
 * across connections and processes. Errors carry the names the Step Functions integration gives
 * them (`DynamoDB.ConditionalCheckFailedException`, `DynamoDB.ValidationException`).
 *
 * The `...Sync` methods do the same without a promise, for callers that compose several operations
 * in one transaction of their own.
 */
export class LocalDynamoDb {
  private readonly tables: ReadonlyMap<string, TableSchema>;
  private readonly selectDocument;
  private readonly upsertDocument;
  private readonly deleteDocument;

  constructor(
    readonly db: Database,
    tables: Readonly<Record<string, TableSchema>>,
  ) {
    this.tables = new Map(Object.entries(tables));
    this.selectDocument = db.prepare<[string, string], { doc: string }>(
      'SELECT doc FROM documents WHERE table_name = ? AND pk = ?',
    );
    this.upsertDocument = db.prepare<[string, string, string]>(
      'INSERT INTO documents (table_name, pk, doc) VALUES (?, ?, ?) ON CONFLICT (table_name, pk) DO UPDATE SET doc = excluded.doc',
    );
    this.deleteDocument = db.prepare<[string, string]>(
      'DELETE FROM documents WHERE table_name = ? AND pk = ?',
    );
  }

  async updateItem(params: UpdateItemParams): Promise<{ Attributes?: AttributeMap }> {
    return this.updateItemSync(params);
  }

  async getItem(params: GetItemParams): Promise<{ Item?: AttributeMap }> {
    return this.getItemSync(params);
  }

  async putItem(params: PutItemParams): Promise<{ Attributes?: AttributeMap }> {
    return this.putItemSync(params);
  }

  async deleteItem(params: DeleteItemParams): Promise<{ Attributes?: AttributeMap }> {
    return this.deleteItemSync(params);
  }

  async query(params: QueryParams): Promise<QueryResult> {
    return this.querySync(params);
  }

  /** The items of one partition that match the key condition, in sort-key order, paged by Limit. */
  querySync(params: QueryParams): QueryResult {
    const schema = this.schemaOf(params.TableName);
    const compiled = compileExpressions({
      ConditionExpression: params.KeyConditionExpression,
      ExpressionAttributeNames: params.ExpressionAttributeNames,
      ExpressionAttributeValues: params.ExpressionAttributeValues,
    });
    const condition = compiled.condition as ConditionAst;
    const partition = partitionValue(condition, schema.partitionKey, compiled.values);
    if (partition === undefined) {
      throw new ValidationError(`Query condition missed key schema element: ${schema.partitionKey}`);
    }
    const forward = params.ScanIndexForward ?? true;
    const after = params.ExclusiveStartKey
      ? toDocument(params.ExclusiveStartKey, 'ExclusiveStartKey')[schema.sortKey ?? schema.partitionKey]
      : undefined;
    const rows = this.db
      .prepare<unknown[], { doc: string }>(
        `SELECT doc FROM documents WHERE table_name = ? AND json_extract(pk, '$[0]') = ?${
          after === undefined ? '' : ` AND json_extract(pk, '$[1]') ${forward ? '>' : '<'} ?`
        } ORDER BY json_extract(pk, '$[1]') ${forward ? 'ASC' : 'DESC'}`,
      )
      .iterate(params.TableName, partition, ...(after === undefined ? [] : [after]));
    const limit = params.Limit ?? Number.POSITIVE_INFINITY;
    const items: Document[] = [];
    let last: Document | undefined;
    for (const row of rows) {
      const doc = JSON.parse(row.doc) as Document;
      if (!evaluateCondition(condition, doc, compiled.values)) continue;
      items.push(doc);
      last = doc;
      if (items.length >= limit) break;
    }
    const more = items.length >= limit && last !== undefined;
    const lastKey = more ? toAttributeMap(pickKey(schema, last as Document)) : undefined;
    return {
      ...(params.Select === 'COUNT' ? {} : { Items: items.map(toAttributeMap) }),
      Count: items.length,
      ...(lastKey ? { LastEvaluatedKey: lastKey } : {}),
    };
  }

  /** Applies the update if the condition holds (creating the item when there is none, as DynamoDB does). */
  updateItemSync(params: UpdateItemParams): { Attributes?: AttributeMap } {
    const schema = this.schemaOf(params.TableName);
    const { pk, key } = this.keyOf(params.TableName, schema, params.Key);
    if (params.UpdateExpression === undefined) {
      throw new ValidationError(
        'UpdateExpression is required (the local DynamoDB does not support AttributeUpdates)',
      );
    }
    const compiled = compileExpressions(params);
    const update = compiled.update!;
    for (const path of [
      ...update.set.map((a) => a.path),
      ...update.remove,
      ...update.add.map((a) => a.path),
    ]) {
      if (path.length === 1 && keyNames(schema).includes(path[0] as string)) {
        throw new ValidationError(
          `One or more parameter values were invalid: Cannot update attribute ${path[0]}. This attribute is part of the key`,
        );
      }
    }
    return immediate(this.db, () => {
      const old = this.read(params.TableName, pk);
      if (compiled.condition && !evaluateCondition(compiled.condition, old, compiled.values)) {
        throw new ConditionalCheckFailedError();
      }
      const updated = applyUpdate(update, old ?? { ...key }, compiled.values);
      this.write(params.TableName, pk, updated);
      return returnValues(params.ReturnValues ?? 'NONE', old, updated, update);
    });
  }

  getItemSync(params: GetItemParams): { Item?: AttributeMap } {
    const schema = this.schemaOf(params.TableName);
    const { pk } = this.keyOf(params.TableName, schema, params.Key);
    const doc = this.read(params.TableName, pk);
    return doc ? { Item: toAttributeMap(doc) } : {};
  }

  putItemSync(params: PutItemParams): { Attributes?: AttributeMap } {
    const schema = this.schemaOf(params.TableName);
    const item = toDocument(params.Item, 'Item');
    const keyItem: AttributeMap = {};
    for (const name of keyNames(schema)) {
      if (!params.Item[name]) {
        throw new ValidationError(
          `One or more parameter values were invalid: Missing the key ${name} in the item`,
        );
      }
      keyItem[name] = params.Item[name];
    }
    const { pk } = this.keyOf(params.TableName, schema, keyItem);
    const compiled = compileExpressions(params);
    return immediate(this.db, () => {
      const old = this.read(params.TableName, pk);
      if (compiled.condition && !evaluateCondition(compiled.condition, old, compiled.values)) {
        throw new ConditionalCheckFailedError();
      }
      this.write(params.TableName, pk, item);
      return params.ReturnValues === 'ALL_OLD' && old ? { Attributes: toAttributeMap(old) } : {};
    });
  }

  deleteItemSync(params: DeleteItemParams): { Attributes?: AttributeMap } {
    const schema = this.schemaOf(params.TableName);
    const { pk } = this.keyOf(params.TableName, schema, params.Key);
    const compiled = compileExpressions(params);
    return immediate(this.db, () => {
      const old = this.read(params.TableName, pk);
      if (compiled.condition && !evaluateCondition(compiled.condition, old, compiled.values)) {
        throw new ConditionalCheckFailedError();
      }
      this.deleteDocument.run(params.TableName, pk);
      return params.ReturnValues === 'ALL_OLD' && old ? { Attributes: toAttributeMap(old) } : {};
    });
  }

  /** The item as a JSON document, or undefined (for local readers that do not need DynamoDB JSON). */
  getDocument(tableName: string, key: Readonly<Record<string, string | number>>): Document | undefined {
    const schema = this.schemaOf(tableName);
    return this.read(tableName, encodeKey(schema, key, tableName));
  }

  /** Every item of a table as JSON documents, in key order (for tests and the console; a Scan). */
  scanDocuments(tableName: string): Document[] {
    this.schemaOf(tableName);
    return this.db
      .prepare<[string], { doc: string }>('SELECT doc FROM documents WHERE table_name = ? ORDER BY pk')
      .all(tableName)
      .map((row) => JSON.parse(row.doc) as Document);
  }

  private read(tableName: string, pk: string): Document | undefined {
    const row = this.selectDocument.get(tableName, pk);
    return row ? (JSON.parse(row.doc) as Document) : undefined;
  }

  private write(tableName: string, pk: string, doc: Document): void {
    const json = JSON.stringify(doc);
    if (Buffer.byteLength(json, 'utf8') > MAX_ITEM_BYTES) {
      throw new ValidationError('Item size has exceeded the maximum allowed size');
    }
    this.upsertDocument.run(tableName, pk, json);
  }

  private schemaOf(tableName: string): TableSchema {
    const schema = this.tables.get(tableName);
    if (!schema) {
      throw new DynamoDbError(
        'ResourceNotFoundException',
        `Requested resource not found: table ${tableName} is not one of the local tables (${[...this.tables.keys()].join(', ')})`,
      );
    }
    return schema;
  }

  private keyOf(
    tableName: string,
    schema: TableSchema,
    key: Readonly<AttributeMap>,
  ): { pk: string; key: Document } {
    if (!key || typeof key !== 'object')
      throw new ValidationError('The provided key element does not match the schema');
    const names = keyNames(schema);
    const given = Object.keys(key);
    if (given.length !== names.length || !names.every((n) => given.includes(n))) {
      throw new ValidationError('The provided key element does not match the schema');
    }
    const doc = toDocument(key, 'Key');
    const values: Record<string, string | number> = {};
    for (const name of names) {
      const value = doc[name];
      if (typeof value === 'string' && value === '') {
        throw new ValidationError(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`,
        );
      }
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new ValidationError('The provided key element does not match the schema');
      }
      values[name] = value;
    }
    return { pk: encodeKey(schema, values, tableName), key: doc };
  }
}

/** The value the key condition gives the partition key (`#pk = :value`, alone or ANDed). */
function partitionValue(
  condition: ConditionAst,
  partitionKey: string,
  values: Readonly<Record<string, DocValue>>,
): DocValue | undefined {
  if (condition.kind === 'and') {
    return (
      partitionValue(condition.left, partitionKey, values) ??
      partitionValue(condition.right, partitionKey, values)
    );
  }
  if (
    condition.kind === 'compare' &&
    condition.op === '=' &&
    condition.left.kind === 'path' &&
    condition.left.path.length === 1 &&
    condition.left.path[0] === partitionKey &&
    condition.right.kind === 'value'
  ) {
    return values[condition.right.ref];
  }
  return undefined;
}

function pickKey(schema: TableSchema, doc: Document): Document {
  return Object.fromEntries(keyNames(schema).map((name) => [name, doc[name]]));
}

function keyNames(schema: TableSchema): string[] {
  return schema.sortKey ? [schema.partitionKey, schema.sortKey] : [schema.partitionKey];
}

function encodeKey(
  schema: TableSchema,
  key: Readonly<Record<string, string | number>>,
  tableName: string,
): string {
  const values = keyNames(schema).map((name) => {
    const value = key[name];
    if (value === undefined)
      throw new ValidationError(`The provided key element does not match the schema of ${tableName}`);
    return value;
  });
  return JSON.stringify(values);
}

function returnValues(
  mode: ReturnValue,
  old: Document | undefined,
  updated: Document,
  update: UpdateAst,
): { Attributes?: AttributeMap } {
  if (mode === 'NONE') return {};
  if (mode === 'ALL_OLD') return old ? { Attributes: toAttributeMap(old) } : {};
  if (mode === 'ALL_NEW') return { Attributes: toAttributeMap(updated) };
  // UPDATED_*: the top-level attributes the update touched.
  const touched = new Set([
    ...update.set.map((a) => a.path[0]),
    ...update.remove.map((p) => p[0]),
    ...update.add.map((a) => a.path[0]),
  ]);
  const source = mode === 'UPDATED_OLD' ? (old ?? {}) : updated;
  const picked: Record<string, DocValue> = {};
  for (const name of touched)
    if (Object.hasOwn(source, name)) picked[name as string] = source[name as string];
  return Object.keys(picked).length > 0 ? { Attributes: toAttributeMap(picked) } : {};
}
