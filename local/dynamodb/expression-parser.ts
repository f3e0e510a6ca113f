import { ValidationError } from './errors';

/**
 * Tokenizer and recursive-descent parser for DynamoDB update and condition expressions. Placeholders
 * are checked while parsing: a `#name` is replaced by its ExpressionAttributeNames entry, a `:value`
 * must be defined in ExpressionAttributeValues, and the ones used are recorded so that the caller can
 * reject unused ones, as DynamoDB does.
 */

/** A step of a document path: an attribute or map key (string) or a list index (number). */
export type PathElement = string | number;
export type DocumentPath = readonly PathElement[];

export type FunctionName =
  | 'if_not_exists'
  | 'list_append'
  | 'size'
  | 'attribute_exists'
  | 'attribute_not_exists'
  | 'attribute_type'
  | 'begins_with'
  | 'contains';

export type Operand =
  | { readonly kind: 'path'; readonly path: DocumentPath }
  | { readonly kind: 'value'; readonly ref: string }
  | {
      readonly kind: 'call';
      readonly fn: 'if_not_exists' | 'list_append' | 'size';
      readonly args: readonly Operand[];
    }
  | { readonly kind: 'arithmetic'; readonly op: '+' | '-'; readonly left: Operand; readonly right: Operand };

export interface SetAction {
  readonly path: DocumentPath;
  readonly value: Operand;
}

export interface UpdateAst {
  readonly set: readonly SetAction[];
  readonly remove: readonly DocumentPath[];
  readonly add: readonly { readonly path: DocumentPath; readonly ref: string }[];
  readonly delete: readonly { readonly path: DocumentPath; readonly ref: string }[];
}

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type ConditionAst =
  | { readonly kind: 'compare'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly operand: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly operand: Operand; readonly list: readonly Operand[] }
  | { readonly kind: 'and' | 'or'; readonly left: ConditionAst; readonly right: ConditionAst }
  | { readonly kind: 'not'; readonly operand: ConditionAst }
  | {
      readonly kind: 'function';
      readonly fn:
        | 'attribute_exists'
        | 'attribute_not_exists'
        | 'attribute_type'
        | 'begins_with'
        | 'contains';
      readonly args: readonly Operand[];
    };

/** What the parser checks placeholders against, and where it records the ones it met. */
export interface ParseContext {
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
  readonly usedNames: Set<string>;
  readonly usedValues: Set<string>;
}

type TokenKind = 'identifier' | 'name' | 'value' | 'number' | 'punctuation' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
}

const PUNCTUATION = ['<>', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '+', '-'] as const;
const KEYWORDS = new Set(['SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'IN', 'BETWEEN']);

/**
 * DynamoDB's reserved words that attribute names most often collide with. An expression that uses one
 * bare (not as a `#name`) is rejected as on AWS. A subset: DynamoDB reserves several hundred words.
 */
const RESERVED_WORDS = new Set(
  (
    'ACTION ADD ALL AND ANY AS ASC AT ATTRIBUTE BETWEEN BY CASE COLUMN COMMENT COUNT CURRENT DATA DATE DAY ' +
    'DEFAULT DELETE DESC DOMAIN END ERROR EXISTS FILE FROM GROUP HOUR IN INDEX KEY LIMIT MINUTE MONTH NAME ' +
    'NOT NULL NUMBER OR ORDER SECOND SET SIZE STATUS TABLE TIME TIMESTAMP TYPE USER VALUE VALUES YEAR'
  ).split(' '),
);

export function tokenize(text: string, kind: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '#' || ch === ':') {
      i++;
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      if (i === start + 1) throw syntaxError(kind, text, { kind: 'punctuation', text: ch, position: start });
      tokens.push({ kind: ch === '#' ? 'name' : 'value', text: text.slice(start, i), position: start });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
      tokens.push({ kind: 'identifier', text: text.slice(start, i), position: start });
      continue;
    }
    if (/[0-9]/.test(ch)) {
      while (i < text.length && /[0-9]/.test(text[i])) i++;
      tokens.push({ kind: 'number', text: text.slice(start, i), position: start });
      continue;
    }
    const punctuation = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (!punctuation) throw syntaxError(kind, text, { kind: 'punctuation', text: ch, position: start });
    tokens.push({ kind: 'punctuation', text: punctuation, position: start });
    i += punctuation.length;
  }
  tokens.push({ kind: 'end', text: '<EOF>', position: text.length });
  return tokens;
}

export type ExpressionKind =
  | 'UpdateExpression'
  | 'ConditionExpression'
  | 'KeyConditionExpression'
  | 'FilterExpression'
  | 'ProjectionExpression';

/** Parses an UpdateExpression: `SET`, `REMOVE`, `ADD` and `DELETE` clauses, each at most once. */
export function parseUpdateExpression(text: string, context: ParseContext): UpdateAst {
  const parser = new Parser(text, 'UpdateExpression', context);
  return parser.update();
}

/**
 * Parses a condition (comparisons, BETWEEN, IN, functions, AND / OR / NOT, parentheses): a
 * ConditionExpression, or the KeyConditionExpression and FilterExpression of a Query, which share its
 * grammar (a key condition's narrower rules are checked by the Query).
 */
export function parseConditionExpression(
  text: string,
  context: ParseContext,
  kind: 'ConditionExpression' | 'KeyConditionExpression' | 'FilterExpression' = 'ConditionExpression',
): ConditionAst {
  const parser = new Parser(text, kind, context);
  return parser.condition();
}

/** Parses a ProjectionExpression: document paths separated by commas. */
export function parseProjectionExpression(text: string, context: ParseContext): DocumentPath[] {
  const parser = new Parser(text, 'ProjectionExpression', context);
  return parser.projection();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    private readonly text: string,
    private readonly kind: ExpressionKind,
    private readonly context: ParseContext,
  ) {
    if (text.trim() === '') throw this.invalid('The expression can not be empty;');
    this.tokens = tokenize(text, kind);
  }

  update(): UpdateAst {
    const set: SetAction[] = [];
    const remove: DocumentPath[] = [];
    const add: { path: DocumentPath; ref: string }[] = [];
    const del: { path: DocumentPath; ref: string }[] = [];
    const seen = new Set<string>();
    while (this.peek().kind !== 'end') {
      const token = this.next();
      const clause = token.kind === 'identifier' ? token.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) throw this.syntax(token);
      if (seen.has(clause)) {
        throw this.invalid(`The "${clause}" section can only be used once in an update expression;`);
      }
      seen.add(clause);
      do {
        if (clause === 'SET') {
          const path = this.path();
          this.expect('=');
          set.push({ path, value: this.setValue() });
        } else if (clause === 'REMOVE') {
          remove.push(this.path());
        } else {
          const path = this.path();
          const target = clause === 'ADD' ? add : del;
          target.push({ path, ref: this.valueRef(this.next()) });
        }
      } while (this.accept(','));
    }
    checkOverlaps(this.kind, [
      ...set.map((a) => a.path),
      ...remove,
      ...add.map((a) => a.path),
      ...del.map((a) => a.path),
    ]);
    return { set, remove, add, delete: del };
  }

  projection(): DocumentPath[] {
    const paths: DocumentPath[] = [];
    do paths.push(this.path());
    while (this.accept(','));
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.syntax(rest);
    checkOverlaps(this.kind, paths);
    return paths;
  }

  condition(): ConditionAst {
    const ast = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.syntax(rest);
    return ast;
  }

  private or(): ConditionAst {
    let left = this.and();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): ConditionAst {
    let left = this.not();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): ConditionAst {
    if (this.acceptKeyword('NOT')) return { kind: 'not', operand: this.not() };
    return this.primary();
  }

  private primary(): ConditionAst {
    if (this.accept('(')) {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    const token = this.peek();
    if (token.kind === 'identifier' && this.peek(1).text === '(') {
      const fn = token.text;
      if (
        fn === 'attribute_exists' ||
        fn === 'attribute_not_exists' ||
        fn === 'attribute_type' ||
        fn === 'begins_with' ||
        fn === 'contains'
      ) {
        this.next();
        const args = this.arguments();
        const arity = fn === 'attribute_exists' || fn === 'attribute_not_exists' ? 1 : 2;
        checkArity(this, fn, args, arity);
        if (args[0].kind !== 'path')
          throw this.invalid(`Operator or function requires a document path; operator or function: ${fn}`);
        return { kind: 'function', fn, args };
      }
    }
    const operand = this.operand();
    if (this.acceptKeyword('BETWEEN')) {
      const low = this.operand();
      if (!this.acceptKeyword('AND')) throw this.syntax(this.peek());
      return { kind: 'between', operand, low, high: this.operand() };
    }
    if (this.acceptKeyword('IN')) {
      this.expect('(');
      const list: Operand[] = [];
      do list.push(this.operand());
      while (this.accept(','));
      this.expect(')');
      if (list.length > 100) throw this.invalid('The IN operator is limited to 100 operands;');
      return { kind: 'in', operand, list };
    }
    const op = this.peek();
    if (op.kind === 'punctuation' && ['=', '<>', '<', '<=', '>', '>='].includes(op.text)) {
      this.next();
      return { kind: 'compare', op: op.text as Comparator, left: operand, right: this.operand() };
    }
    throw this.syntax(op);
  }

  /** A SET value: an operand, or two operands added or subtracted. */
  private setValue(): Operand {
    const left = this.operand();
    const op = this.peek();
    if (op.text === '+' || op.text === '-') {
      this.next();
      return { kind: 'arithmetic', op: op.text, left, right: this.operand() };
    }
    return left;
  }

  private operand(): Operand {
    const token = this.peek();
    if (token.kind === 'value') {
      this.next();
      return { kind: 'value', ref: this.valueRef(token) };
    }
    if (token.kind === 'identifier' && this.peek(1).text === '(') {
      this.next();
      const fn = token.text;
      const allowed = this.kind === 'UpdateExpression' ? ['if_not_exists', 'list_append'] : ['size'];
      if (!allowed.includes(fn)) {
        const known = [
          'if_not_exists',
          'list_append',
          'size',
          'attribute_exists',
          'attribute_not_exists',
          'attribute_type',
          'begins_with',
          'contains',
        ];
        if (!known.includes(fn)) throw this.invalid(`Invalid function name; function: ${fn}`);
        const where =
          this.kind === 'UpdateExpression'
            ? 'an update expression'
            : 'this position of a condition expression';
        throw this.invalid(`The function is not allowed in ${where}; function: ${fn}`);
      }
      const args = this.arguments();
      const name = fn as 'if_not_exists' | 'list_append' | 'size';
      checkArity(this, name, args, name === 'size' ? 1 : 2);
      if ((name === 'if_not_exists' || name === 'size') && args[0].kind !== 'path') {
        throw this.invalid(`Operator or function requires a document path; operator or function: ${name}`);
      }
      return { kind: 'call', fn: name, args };
    }
    return { kind: 'path', path: this.path() };
  }

  private arguments(): Operand[] {
    this.expect('(');
    const args: Operand[] = [];
    if (this.peek().text !== ')') {
      do args.push(this.operand());
      while (this.accept(','));
    }
    this.expect(')');
    return args;
  }

  private path(): DocumentPath {
    const path: PathElement[] = [this.pathName(this.next())];
    for (;;) {
      if (this.accept('.')) {
        path.push(this.pathName(this.next()));
      } else if (this.peek().text === '[') {
        this.next();
        const index = this.next();
        if (index.kind !== 'number') throw this.syntax(index);
        path.push(Number(index.text));
        this.expect(']');
      } else {
        return path;
      }
    }
  }

  private pathName(token: Token): string {
    if (token.kind === 'name') {
      const resolved = this.context.names?.[token.text];
      if (resolved === undefined) {
        throw this.invalid(
          `An expression attribute name used in the document path is not defined; attribute name: ${token.text}`,
        );
      }
      this.context.usedNames.add(token.text);
      return resolved;
    }
    // A keyword where a name belongs (`SET = :v`, `REMOVE a, SET ...`) is a syntax error.
    if (token.kind !== 'identifier' || KEYWORDS.has(token.text.toUpperCase())) throw this.syntax(token);
    if (RESERVED_WORDS.has(token.text.toUpperCase())) {
      throw this.invalid(`Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
    }
    return token.text;
  }

  private valueRef(token: Token): string {
    if (token.kind !== 'value') throw this.syntax(token);
    if (!this.context.values || !(token.text in this.context.values)) {
      throw this.invalid(
        `An expression attribute value used in expression is not defined; attribute value: ${token.text}`,
      );
    }
    this.context.usedValues.add(token.text);
    return token.text;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private accept(punctuation: string): boolean {
    const token = this.peek();
    if (token.kind === 'punctuation' && token.text === punctuation) {
      this.index++;
      return true;
    }
    return false;
  }

  private acceptKeyword(keyword: string): boolean {
    const token = this.peek();
    if (token.kind === 'identifier' && token.text.toUpperCase() === keyword) {
      this.index++;
      return true;
    }
    return false;
  }

  private expect(punctuation: string): void {
    if (!this.accept(punctuation)) throw this.syntax(this.peek());
  }

  syntax(token: Token): ValidationError {
    return syntaxError(this.kind, this.text, token);
  }

  invalid(problem: string): ValidationError {
    return new ValidationError(`Invalid ${this.kind}: ${problem}`);
  }
}

function syntaxError(kind: ExpressionKind, text: string, token: Token): ValidationError {
  const near = text.slice(Math.max(0, token.position - 12), token.position + token.text.length + 12).trim();
  return new ValidationError(`Invalid ${kind}: Syntax error; token: "${token.text}", near: "${near}"`);
}

function checkArity(parser: Parser, fn: string, args: readonly Operand[], arity: number): void {
  if (args.length !== arity) {
    throw parser.invalid(
      `Incorrect number of operands for operator or function; operator or function: ${fn}, number of operands: ${args.length}`,
    );
  }
}

/** DynamoDB refuses an update whose paths overlap (`a` and `a.b`, or `a` twice): the result would depend on order. */
function checkOverlaps(kind: ExpressionKind, paths: readonly DocumentPath[]): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const [a, b] = [paths[i], paths[j]];
      const shorter = Math.min(a.length, b.length);
      if (a.slice(0, shorter).every((element, k) => element === b[k])) {
        throw new ValidationError(
          `Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; ` +
            `path one: [${formatPath(a)}], path two: [${formatPath(b)}]`,
        );
      }
    }
  }
}

export function formatPath(path: DocumentPath): string {
  return path.map((element) => (typeof element === 'number' ? `[${element}]` : element)).join(', ');
}
