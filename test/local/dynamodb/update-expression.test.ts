import { ConditionalCheckFailedError, DynamoDbError } from '../../../local/dynamodb/errors';
import {
  applyUpdate,
  compileExpressions,
  type Document,
  type ExpressionParams,
  evaluateCondition,
} from '../../../local/dynamodb/update-expression';

/** UpdateItem's expressions on one item, as LocalDynamoDb applies them: the condition, then the update. */
function updateDocument(item: Document | undefined, params: ExpressionParams): Document {
  const compiled = compileExpressions(params);
  if (compiled.condition && !evaluateCondition(compiled.condition, item, compiled.values)) {
    throw new ConditionalCheckFailedError();
  }
  return compiled.update ? applyUpdate(compiled.update, item ?? {}, compiled.values) : { ...(item ?? {}) };
}

/** The error updateDocument throws, for assertions on its name and message. */
function errorOf(item: Document | undefined, params: ExpressionParams): DynamoDbError {
  try {
    updateDocument(item, params);
  } catch (error) {
    if (error instanceof DynamoDbError) return error;
    throw error;
  }
  throw new Error('expected a DynamoDB error');
}

const MARK_RUNNING: ExpressionParams = {
  UpdateExpression: 'SET #status = :running, #executionArn = :executionArn REMOVE #reason',
  ConditionExpression:
    '#status IN (:queued, :waiting) OR (#status = :running AND #executionArn = :executionArn)',
  ExpressionAttributeNames: { '#status': 'status', '#executionArn': 'executionArn', '#reason': 'reason' },
  ExpressionAttributeValues: {
    ':running': { S: 'RUNNING' },
    ':queued': { S: 'QUEUED' },
    ':waiting': { S: 'WAITING_FOR_SLOT' },
    ':executionArn': { S: 'arn:1' },
  },
};

describe('UpdateExpression', () => {
  it('sets attributes from values, names and nested map paths', () => {
    const item = { id: 'q', holders: { a: { className: 'fast' } } };
    const out = updateDocument(item, {
      UpdateExpression: 'SET title = :t, #s = :s, holders.#q = :h, holders.a.#c = :c',
      ExpressionAttributeNames: { '#s': 'status', '#q': 'q-2', '#c': 'className' },
      ExpressionAttributeValues: {
        ':t': { S: 'x' },
        ':s': { S: 'QUEUED' },
        ':h': { M: { className: { S: 'long' }, n: { N: '2' }, ok: { BOOL: true }, none: { NULL: true } } },
        ':c': { S: 'adhoc' },
      },
    });
    expect(out).toEqual({
      id: 'q',
      title: 'x',
      status: 'QUEUED',
      holders: { a: { className: 'adhoc' }, 'q-2': { className: 'long', n: 2, ok: true, none: null } },
    });
    expect(item.holders.a.className).toBe('fast');
  });

  it('does arithmetic, if_not_exists and list_append from the item as it was before the update', () => {
    const out = updateDocument(
      { n: 5, log: ['a'] },
      {
        UpdateExpression:
          'SET n = n + :one, m = n - :one, created = if_not_exists(created, :now), log = list_append(log, :more), fresh = list_append(if_not_exists(fresh, :empty), :more)',
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':now': { S: 't0' },
          ':more': { L: [{ S: 'b' }] },
          ':empty': { L: [] },
        },
      },
    );
    expect(out).toEqual({ n: 6, m: 4, created: 't0', log: ['a', 'b'], fresh: ['b'] });
    expect(
      updateDocument(
        { created: 'old' },
        {
          UpdateExpression: 'SET created = if_not_exists(created, :now)',
          ExpressionAttributeValues: { ':now': { S: 'new' } },
        },
      ).created,
    ).toBe('old');
  });

  it('removes top-level and nested attributes; removing a missing map key is a no-op', () => {
    const params: ExpressionParams = {
      UpdateExpression: 'REMOVE reason, #holders.#q',
      ExpressionAttributeNames: { '#holders': 'holders', '#q': 'q1' },
    };
    expect(updateDocument({ reason: 'r', holders: { q1: {}, q2: {} } }, params)).toEqual({
      holders: { q2: {} },
    });
    expect(updateDocument({ holders: {} }, params)).toEqual({ holders: {} });
  });

  it('sets, removes and appends list elements by index', () => {
    const out = updateDocument(
      { l: ['a', 'b', 'c', 'd'] },
      {
        UpdateExpression: 'SET l[9] = :z REMOVE l[0], l[2]',
        ExpressionAttributeValues: { ':z': { S: 'z' } },
      },
    );
    expect(out.l).toEqual(['b', 'd', 'z']);
  });

  it('adds to a number, starting from zero when the attribute is missing', () => {
    const params = { UpdateExpression: 'ADD n :v', ExpressionAttributeValues: { ':v': { N: '3' } } };
    expect(updateDocument({ n: 2 }, params).n).toBe(5);
    expect(updateDocument({}, params).n).toBe(3);
  });

  it('parses clauses in any order and keywords in any case', () => {
    const out = updateDocument(
      { a: 1, b: 2 },
      {
        UpdateExpression: 'remove a set c = :c add d :d',
        ExpressionAttributeValues: { ':c': { S: 'c' }, ':d': { N: '1' } },
      },
    );
    expect(out).toEqual({ b: 2, c: 'c', d: 1 });
  });

  it.each([
    ['SET = :v', { ':v': { S: 'x' } }, /Syntax error; token: "="/],
    ['SET a = ', undefined, /Syntax error; token: "<EOF>"/],
    ['SET a = :v SET b = :v', { ':v': { S: 'x' } }, /The "SET" section can only be used once/],
    ['SET a = :missing', { ':v': { S: 'x' } }, /attribute value: :missing/],
    ['SET #nope = :v', { ':v': { S: 'x' } }, /attribute name: #nope/],
    [
      'SET a = :v',
      { ':v': { S: 'x' }, ':unused': { S: 'y' } },
      /ExpressionAttributeValues unused in expressions: keys: \{:unused\}/,
    ],
    ['SET a = :v, a.b = :v', { ':v': { S: 'x' } }, /Two document paths overlap/],
    ['SET status = :v', { ':v': { S: 'x' } }, /reserved keyword: status/],
    ['SET a = size(b)', undefined, /not allowed in an update expression; function: size/],
    ['SET a = nope(b)', undefined, /Invalid function name; function: nope/],
    ['SET a = if_not_exists(:v, b)', { ':v': { S: 'x' } }, /requires a document path/],
    ['DELETE s :v', { ':v': { S: 'x' } }, /sets/],
    ['', undefined, /can not be empty/],
    ['SET a = :v $', { ':v': { S: 'x' } }, /Syntax error; token: "\$"/],
  ])('rejects %p with a ValidationException that names the problem', (expression, values, message) => {
    const error = errorOf(
      {},
      { UpdateExpression: expression, ...(values ? { ExpressionAttributeValues: values } : {}) },
    );
    expect(error.name).toBe('DynamoDB.ValidationException');
    expect(error.message).toMatch(message);
  });

  it('rejects an update that cannot apply to the item as a ValidationException', () => {
    const v = { ':one': { N: '1' }, ':s': { S: 's' } };
    expect(
      errorOf({}, { UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': v[':one'] } })
        .message,
    ).toMatch(/refers to an attribute that does not exist/);
    expect(
      errorOf(
        { n: 'x' },
        { UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': v[':one'] } },
      ).message,
    ).toMatch(/incorrect data type/);
    expect(
      errorOf({}, { UpdateExpression: 'SET m.k = :s', ExpressionAttributeValues: { ':s': v[':s'] } }).message,
    ).toMatch(/document path provided in the update expression is invalid/);
    expect(
      errorOf(
        { l: 'x' },
        { UpdateExpression: 'SET l = list_append(l, :s)', ExpressionAttributeValues: { ':s': v[':s'] } },
      ).message,
    ).toMatch(/list_append, operand type: S/);
    expect(
      errorOf(
        {},
        { UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { SS: ['a'] } as never } },
      ).message,
    ).toMatch(/type SS are not supported/);
    expect(
      errorOf({}, { UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': { N: 'ten' } } })
        .message,
    ).toMatch(/cannot be converted to a numeric value: ten/);
  });
});

describe('ConditionExpression', () => {
  const queued = { queryId: 'q', status: 'QUEUED' };

  it("accepts MarkRunning's condition for a queued query, and for the same execution run again", () => {
    expect(updateDocument(queued, MARK_RUNNING)).toMatchObject({ status: 'RUNNING', executionArn: 'arn:1' });
    expect(updateDocument({ status: 'RUNNING', executionArn: 'arn:1', reason: 'r' }, MARK_RUNNING)).toEqual({
      status: 'RUNNING',
      executionArn: 'arn:1',
    });
  });

  it('fails with DynamoDB.ConditionalCheckFailedException for another execution, a cancelled query or no item', () => {
    const items: (Document | undefined)[] = [
      { status: 'RUNNING', executionArn: 'arn:other' },
      { status: 'CANCELLED' },
      undefined,
    ];
    for (const item of items) {
      const error = errorOf(item, MARK_RUNNING);
      expect(error.name).toBe('DynamoDB.ConditionalCheckFailedException');
      expect(error.message).toBe('The conditional request failed');
    }
  });

  const check = (item: Document | undefined, condition: string, values: Record<string, unknown> = {}) => {
    try {
      updateDocument(item, {
        ConditionExpression: condition,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values as never } : {}),
      });
      return true;
    } catch (error) {
      if ((error as Error).name === 'DynamoDB.ConditionalCheckFailedException') return false;
      throw error;
    }
  };

  it.each([
    ['n = :two', true],
    ['n <> :two', false],
    ['n < :three', true],
    ['n <= :two', true],
    ['n > :two', false],
    ['n >= :three', false],
    ['n BETWEEN :one AND :three', true],
    ['s < :b', true],
    ['n = :twoText', false],
    ['missing <> :two', true],
    ['missing = :two', false],
    ['NOT n = :two', false],
    ['n = :one OR n = :two AND s = :a', true],
    ['(n = :one OR n = :two) AND s = :b', false],
    ['attribute_exists(m.k) AND attribute_not_exists(m.nope)', true],
    ['attribute_exists(l[1]) AND NOT attribute_exists(l[2])', true],
    ['begins_with(s, :a) AND contains(l, :a) AND contains(s, :a)', true],
    ['size(l) = :two AND size(m) < :two', true],
    ['attribute_type(n, :N)', true],
    ['m = :m', true],
  ])('evaluates %p as %p', (condition, expected) => {
    const item = { n: 2, s: 'a', l: ['a', 'b'], m: { k: 'v' } };
    const values = {
      ':one': { N: '1' },
      ':two': { N: '2' },
      ':three': { N: '3' },
      ':twoText': { S: '2' },
      ':a': { S: 'a' },
      ':b': { S: 'b' },
      ':N': { S: 'N' },
      ':m': { M: { k: { S: 'v' } } },
    };
    const used = Object.fromEntries(
      Object.entries(values).filter(([k]) => new RegExp(`${k}\\b`).test(condition)),
    );
    expect(check(item, condition, used)).toBe(expected);
  });

  it('rejects a malformed condition as a ValidationException', () => {
    for (const [condition, message] of [
      ['a =', /Syntax error; token: "<EOF>"/],
      ['a = :v)', /Syntax error; token: "\)"/],
      ['a IN ()', /Syntax error; token: "\)"/],
      ['if_not_exists(a, :v) = :v', /not allowed in this position of a condition expression/],
      ['attribute_exists(:v)', /requires a document path/],
      ['attribute_exists(a, a)', /number of operands: 2/],
    ] as const) {
      const error = errorOf(
        {},
        { ConditionExpression: condition, ExpressionAttributeValues: { ':v': { S: 'x' } } },
      );
      expect(error.name).toBe('DynamoDB.ValidationException');
      expect(error.message).toMatch(message);
    }
  });
});
