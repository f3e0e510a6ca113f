import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type BetterSqlite3 from 'better-sqlite3';
import { type Database, immediate } from '../store/database';
import { ConditionalCheckFailedError, DynamoDbError, ValidationError } from './errors';
import type { UpdateAst } from './expression-parser';
import {
  compileQuery,
  type KeySchema,
  keyColumnsOf,
  project,
  type QueryParams,
  querySql,
  type StartAfter,
} from './query';
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

export type { QueryParams } from './query';

/** Key attributes of a table (string or number values), and its global secondary indexes. */
export interface TableSchema extends KeySchema {
  /**
   * Global secondary indexes by name, each projecting ALL attributes. An item is in an index only when
   * it has the index's key attributes (a sparse index). Their key names are plain attribute names.
   */
  readonly indexes?: Readonly<Record<string, KeySchema>>;
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

export interface QueryResult {
  readonly Items?: AttributeMap[];
  readonly Count: number;
  readonly ScannedCount: number;
  readonly LastEvaluatedKey?: AttributeMap;
}

/** Query's answer with JSON documents for items and keys (what the DocumentClient returns). */
export interface DocumentQueryResult {
  readonly Items?: Document[];
  readonly Count: number;
  readonly ScannedCount: number;
  readonly LastEvaluatedKey?: Document;
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
 * Most data one Query reads before it stops with a LastEvaluatedKey (DynamoDB's 1 MB, counted before the
 * filter). Locally an item's size is the length of its JSON text, a little above DynamoDB's own count.
 */
export const MAX_QUERY_PAGE_BYTES = 1024 * 1024;
const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A DynamoDB stand-in on SQLite, good for what athena-wlm does with DynamoDB: GetItem, PutItem,
 * UpdateItem and DeleteItem with condition and update expressions, and Query on a table or a global
 * secondary index with key conditions, filter and projection expressions, Limit, paging and either
 * direction (string keys compare by their UTF-8 bytes, as DynamoDB's do). Items are JSON documents in the
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
  /** Prepared Query statements by their SQL: a Query's shape repeats (the same index, direction, bounds). */
  private readonly queryStatements = new Map<string, BetterSqlite3.Statement<unknown[], { doc: string }>>();

  constructor(
    readonly db: Database,
    tables: Readonly<Record<string, TableSchema>>,
  ) {
    for (const [name, schema] of Object.entries(tables)) {
      for (const [indexName, index] of Object.entries(schema.indexes ?? {})) {
        for (const key of [index.partitionKey, index.sortKey ?? 'x']) {
          if (!KEY_NAME.test(key)) {
            throw new Error(
              `Index ${indexName} of local table ${name}: key '${key}' must be a plain attribute name (letters, digits, _)`,
            );
          }
        }
      }
    }
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

  /** Query with DynamoDB JSON items and keys (the API's and the Step Functions integration's shape). */
  querySync(params: QueryParams): QueryResult {
    const result = this.queryDocumentsSync(params);
    return {
      ...(result.Items ? { Items: result.Items.map(toAttributeMap) } : {}),
      Count: result.Count,
      ScannedCount: result.ScannedCount,
      ...(result.LastEvaluatedKey ? { LastEvaluatedKey: toAttributeMap(result.LastEvaluatedKey) } : {}),
    };
  }

  /**
   * The items of one partition of the table or of an index, in sort-key order (ScanIndexForward), from
   * after ExclusiveStartKey. As in DynamoDB, Limit and the 1 MB page count the items read before the
   * filter, and a page that stops at either has a LastEvaluatedKey (even when nothing follows).
   */
  queryDocumentsSync(params: QueryParams): DocumentQueryResult {
    const schema = this.schemaOf(params.TableName);
    const index = params.IndexName === undefined ? undefined : schema.indexes?.[params.IndexName];
    if (params.IndexName !== undefined && !index) {
      throw new ValidationError(
        `The table does not have the specified index: ${params.IndexName} (indexes of ${params.TableName}: ${Object.keys(schema.indexes ?? {}).join(', ') || 'none'})`,
      );
    }
    if (index && params.ConsistentRead) {
      throw new ValidationError('Consistent reads are not supported on global secondary indexes');
    }
    if (params.Limit !== undefined && (!Number.isInteger(params.Limit) || params.Limit < 1)) {
      throw new ValidationError(
        `1 validation error detected: Value '${params.Limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    const keys = index ?? schema;
    const query = compileQuery(params, keys);
    const lastKeyNames = [...new Set([...keyNames(schema), ...(index ? keyNames(index) : [])])];
    const after = params.ExclusiveStartKey
      ? this.startAfter(params.TableName, schema, keys, lastKeyNames, params.ExclusiveStartKey)
      : undefined;
    const { sql, args } = querySql(params.TableName, keyColumnsOf(schema, index), query, {
      forward: params.ScanIndexForward ?? true,
      ...(after ? { after } : {}),
      ...(params.Limit !== undefined ? { limit: params.Limit } : {}),
    });
    const limit = params.Limit ?? Number.POSITIVE_INFINITY;
    const items: Document[] = [];
    let scanned = 0;
    let bytes = 0;
    let last: Document | undefined;
    let statement = this.queryStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], { doc: string }>(sql);
      this.queryStatements.set(sql, statement);
    }
    for (const row of statement.iterate(...args)) {
      const doc = JSON.parse(row.doc) as Document;
      scanned++;
      bytes += row.doc.length;
      last = doc;
      if (!query.filter || evaluateCondition(query.filter, doc, query.values)) {
        items.push(query.projection ? project(doc, query.projection) : doc);
      }
      if (scanned >= limit || bytes >= MAX_QUERY_PAGE_BYTES) break;
    }
    const stopped = last !== undefined && (scanned >= limit || bytes >= MAX_QUERY_PAGE_BYTES);
    return {
      ...(params.Select === 'COUNT' ? {} : { Items: items }),
      Count: items.length,
      ScannedCount: scanned,
      ...(stopped ? { LastEvaluatedKey: pick(last as Document, lastKeyNames) } : {}),
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
    const doc = this.getItemDocumentSync(params);
    return doc ? { Item: toAttributeMap(doc) } : {};
  }

  /** GetItem's item as a JSON document (what the DocumentClient returns), or undefined. */
  getItemDocumentSync(params: GetItemParams): Document | undefined {
    const schema = this.schemaOf(params.TableName);
    const { pk } = this.keyOf(params.TableName, schema, params.Key);
    return this.read(params.TableName, pk);
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

  /** Where a Query resumes: ExclusiveStartKey must hold the table's key and the queried index's. */
  private startAfter(
    tableName: string,
    schema: TableSchema,
    keys: KeySchema,
    needed: readonly string[],
    exclusiveStartKey: Readonly<AttributeMap>,
  ): StartAfter {
    const start = toDocument(exclusiveStartKey, 'ExclusiveStartKey');
    const invalid = needed.filter(
      (name) => typeof start[name] !== 'string' && typeof start[name] !== 'number',
    );
    if (invalid.length > 0) {
      throw new ValidationError(
        `The provided starting key is invalid: The provided key element does not match the schema (missing ${invalid.join(', ')})`,
      );
    }
    const sort = keys.sortKey === undefined ? undefined : (start[keys.sortKey] as string | number);
    return {
      ...(sort !== undefined ? { sort } : {}),
      pk: encodeKey(schema, start as Record<string, string | number>, tableName),
    };
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

function pick(doc: Document, names: readonly string[]): Document {
  return Object.fromEntries(names.map((name) => [name, doc[name]]));
}

function keyNames(schema: KeySchema): string[] {
  return schema.sortKey ? [schema.partitionKey, schema.sortKey] : [schema.partitionKey];
}

function encodeKey(
  schema: KeySchema,
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
