/** DynamoDB exception names this stand-in raises. */
export type DynamoDbExceptionName =
  | 'ConditionalCheckFailedException'
  | 'ValidationException'
  | 'ResourceNotFoundException';

/**
 * An error as the Step Functions DynamoDB integration surfaces it: `name` is `DynamoDB.<Exception>`
 * (what a Retry or Catch matches) and `message` becomes the Cause.
 */
export class DynamoDbError extends Error {
  /** The bare exception name, as the AWS SDK reports it. */
  readonly code: DynamoDbExceptionName;

  constructor(code: DynamoDbExceptionName, message: string) {
    super(message);
    this.name = `DynamoDB.${code}`;
    this.code = code;
  }
}

/** The write's condition did not hold; nothing was written. */
export class ConditionalCheckFailedError extends DynamoDbError {
  constructor() {
    super('ConditionalCheckFailedException', 'The conditional request failed');
  }
}

/** A request DynamoDB would reject before looking at the item: a bad expression, a bad key. */
export class ValidationError extends DynamoDbError {
  constructor(message: string) {
    super('ValidationException', message);
  }
}

export function isConditionalCheckFailed(error: unknown): error is DynamoDbError {
  return error instanceof DynamoDbError && error.code === 'ConditionalCheckFailedException';
}
