import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeMap, LocalDynamoDb } from './local-dynamodb';

type Json = Record<string, unknown>;

const toItem = (value: unknown) => marshall(value as Json, { removeUndefinedValues: true });
const fromItem = (item: AttributeMap | undefined) => (item ? unmarshall(item) : undefined);

/**
 * The commands of `@aws-sdk/lib-dynamodb` that athena-wlm's DynamoDB adapters send (Get, Put, Update,
 * Delete, Query on the table or an index), served by the local DynamoDB: the local runtime runs the
 * very adapters that run on AWS. Values are marshalled as the DocumentClient does (undefined values
 * removed), so the engine checks them as DynamoDB would; items come back as the documents the engine
 * stores. Errors carry DynamoDB's names (`ConditionalCheckFailedException`).
 */
export class LocalDocumentClient {
  constructor(private readonly dynamodb: LocalDynamoDb) {}

  /** The facade as the adapters type their client: only the commands above reach it. */
  asDocumentClient(): DynamoDBDocumentClient {
    return this as unknown as DynamoDBDocumentClient;
  }

  async send(command: unknown): Promise<Json> {
    return this.sendSync(command);
  }

  /** `send` without a promise, for local callers that put several commands in one SQLite transaction. */
  sendSync(command: unknown): Json {
    try {
      return this.serve(command);
    } catch (error) {
      throw sdkError(error);
    }
  }

  private serve(command: unknown): Json {
    const db = this.dynamodb;
    if (command instanceof GetCommand) {
      const { TableName, Key } = command.input;
      return { Item: db.getItemDocumentSync({ TableName: TableName as string, Key: toItem(Key) }) };
    }
    if (command instanceof PutCommand) {
      const { Item, ExpressionAttributeValues, ...rest } = command.input;
      const result = db.putItemSync({
        ...(rest as Omit<typeof rest, 'ReturnValues'>),
        TableName: rest.TableName as string,
        Item: toItem(Item),
        ...(ExpressionAttributeValues
          ? { ExpressionAttributeValues: toItem(ExpressionAttributeValues) }
          : {}),
        ReturnValues: rest.ReturnValues === 'ALL_OLD' ? 'ALL_OLD' : 'NONE',
      });
      return { Attributes: fromItem(result.Attributes) };
    }
    if (command instanceof UpdateCommand) {
      const { Key, ExpressionAttributeValues, ...rest } = command.input;
      const result = db.updateItemSync({
        ...(rest as Omit<typeof rest, 'ReturnValues'>),
        TableName: rest.TableName as string,
        Key: toItem(Key),
        ...(ExpressionAttributeValues
          ? { ExpressionAttributeValues: toItem(ExpressionAttributeValues) }
          : {}),
        ...(rest.ReturnValues ? { ReturnValues: rest.ReturnValues } : {}),
      });
      return { Attributes: fromItem(result.Attributes) };
    }
    if (command instanceof DeleteCommand) {
      const { Key, ExpressionAttributeValues, ...rest } = command.input;
      const result = db.deleteItemSync({
        ...(rest as Omit<typeof rest, 'ReturnValues'>),
        TableName: rest.TableName as string,
        Key: toItem(Key),
        ...(ExpressionAttributeValues
          ? { ExpressionAttributeValues: toItem(ExpressionAttributeValues) }
          : {}),
        ReturnValues: rest.ReturnValues === 'ALL_OLD' ? 'ALL_OLD' : 'NONE',
      });
      return { Attributes: fromItem(result.Attributes) };
    }
    if (command instanceof QueryCommand) {
      const { ExpressionAttributeValues, ExclusiveStartKey, ...rest } = command.input;
      const result = db.queryDocumentsSync({
        TableName: rest.TableName as string,
        KeyConditionExpression: rest.KeyConditionExpression as string,
        ...(rest.IndexName !== undefined ? { IndexName: rest.IndexName } : {}),
        ...(rest.FilterExpression !== undefined ? { FilterExpression: rest.FilterExpression } : {}),
        ...(rest.ProjectionExpression !== undefined
          ? { ProjectionExpression: rest.ProjectionExpression }
          : {}),
        ...(rest.ExpressionAttributeNames ? { ExpressionAttributeNames: rest.ExpressionAttributeNames } : {}),
        ...(ExpressionAttributeValues
          ? { ExpressionAttributeValues: toItem(ExpressionAttributeValues) }
          : {}),
        ...(ExclusiveStartKey ? { ExclusiveStartKey: toItem(ExclusiveStartKey) } : {}),
        ...(rest.Limit !== undefined ? { Limit: rest.Limit } : {}),
        ...(rest.ScanIndexForward !== undefined ? { ScanIndexForward: rest.ScanIndexForward } : {}),
        ...(rest.Select !== undefined ? { Select: rest.Select } : {}),
        ...(rest.ConsistentRead !== undefined ? { ConsistentRead: rest.ConsistentRead } : {}),
      });
      return { ...result };
    }
    throw new Error(
      `the local DynamoDB does not serve ${(command as object)?.constructor?.name ?? 'this command'}`,
    );
  }
}

/** The local engine names errors as the Step Functions integration does (`DynamoDB.X`); the SDK says `X`. */
function sdkError(error: unknown): unknown {
  if (error instanceof Error && error.name.startsWith('DynamoDB.')) {
    const sdk = new Error(error.message);
    sdk.name = error.name.slice('DynamoDB.'.length);
    return sdk;
  }
  return error;
}
