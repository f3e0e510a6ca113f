/**
 * A small SQL tokenizer that knows the lexical rules Athena's two dialects share: Hive DDL
 * (backslash escapes in strings, backtick identifiers) and Trino DML (`''` escapes, `"ident"`).
 * It keeps every character (spaces and comments are tokens too) so that callers can rewrite a
 * statement token by token and map positions back to the text the user sent.
 */

export type TokenKind =
  | 'word'
  | 'quoted' // "..." : an identifier in DML, a string in Hive DDL
  | 'backtick'
  | 'string'
  | 'number'
  | 'param'
  | 'punct'
  | 'space'
  | 'comment';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface TokenizeOptions {
  /** Hive DDL rules: a backslash escapes the next character inside '...' and "...". @default false */
  readonly hiveEscapes?: boolean;
}

/** A statement Athena cannot parse; `position` is the offset in the text where it went wrong. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}

const WORD_START = /[A-Za-z_\u00C0-\uFFFF]/;
const WORD_PART = /[A-Za-z0-9_$\u00C0-\uFFFF]/;

/** Splits SQL into tokens; throws SqlSyntaxError on an unterminated quote or comment. */
export function tokenize(sql: string, options: TokenizeOptions = {}): Token[] {
  const tokens: Token[] = [];
  const hive = options.hiveEscapes ?? false;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number) => {
    tokens.push({ kind, text: sql.slice(start, end), start, end });
  };
  while (i < sql.length) {
    const ch = sql[i];
    const start = i;
    if (/\s/.test(ch)) {
      while (i < sql.length && /\s/.test(sql[i])) i++;
      push('space', start, i);
    } else if (ch === '-' && sql[i + 1] === '-') {
      // Trino's lexer ends a line comment at \r or \n (so does DuckDB's).
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
      push('comment', start, i);
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlSyntaxError('unterminated /* comment', start);
      i = close + 2;
      push('comment', start, i);
    } else if (ch === "'" || ch === '"' || ch === '`') {
      i = scanQuoted(sql, i, ch, hive && ch !== '`');
      push(ch === "'" ? 'string' : ch === '"' ? 'quoted' : 'backtick', start, i);
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < sql.length && /[0-9.]/.test(sql[i])) i++;
      if (/[eE]/.test(sql[i] ?? '') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < sql.length && /[0-9]/.test(sql[i])) i++;
      }
      // `1a` is an identifier in Hive (column names may start with digits).
      if (i < sql.length && WORD_PART.test(sql[i])) {
        while (i < sql.length && WORD_PART.test(sql[i])) i++;
        push('word', start, i);
      } else {
        push('number', start, i);
      }
    } else if (WORD_START.test(ch)) {
      while (i < sql.length && WORD_PART.test(sql[i])) i++;
      push('word', start, i);
    } else if (ch === '?') {
      i++;
      push('param', start, i);
    } else {
      i++;
      push('punct', start, i);
    }
  }
  return tokens;
}

function scanQuoted(sql: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  const what = quote === "'" ? 'string' : quote === '`' ? 'backtick identifier' : 'quoted identifier';
  throw new SqlSyntaxError(`unterminated ${what}`, open);
}

/** The value of a Trino '...' string or "..." identifier: strips quotes, undoubles embedded quotes. */
export function unquoteStandard(text: string): string {
  const quote = text[0];
  return text.slice(1, -1).split(`${quote}${quote}`).join(quote);
}

/**
 * The value of a Hive string literal. Hive turns `\\`, `\'`, `\"`, `\n`, `\t`, `\r`, `\0`, octal
 * `\001` and `\uXXXX` into characters. Any other escape keeps its backslash, which is what lets a
 * regex written as 'a\s+b' or '[^\"]' reach the regex engine intact, as it does in Athena.
 */
export function unquoteHive(text: string): string {
  const quote = text[0];
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === quote && body[i + 1] === quote) {
      out += quote;
      i++;
    } else if (ch === '\\' && i + 1 < body.length) {
      const next = body[i + 1];
      const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
      const unicode = /^u([0-9a-fA-F]{4})/.exec(body.slice(i + 1, i + 6));
      if (octal) {
        out += String.fromCharCode(Number.parseInt(octal[0], 8));
        i += 3;
      } else if (unicode) {
        out += String.fromCharCode(Number.parseInt(unicode[1], 16));
        i += 5;
      } else {
        const simple: Record<string, string> = {
          '\\': '\\',
          "'": "'",
          '"': '"',
          n: '\n',
          t: '\t',
          r: '\r',
          '0': '\0',
        };
        out += simple[next] ?? `\\${next}`;
        i++;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

/** 1-based line and column of an offset, the way Athena reports positions ("line 1:8"). */
export function lineColumn(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** A cursor over the significant tokens (no spaces, no comments) of one statement. */
export class TokenCursor {
  private readonly tokens: Token[];
  private index = 0;

  constructor(
    readonly sql: string,
    tokens: readonly Token[],
  ) {
    this.tokens = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  }

  get done(): boolean {
    return this.index >= this.tokens.length;
  }

  /** Offset of the next token (or the end of the text), for error positions and slicing. */
  get position(): number {
    return this.peek()?.start ?? this.sql.length;
  }

  peek(ahead = 0): Token | undefined {
    return this.tokens[this.index + ahead];
  }

  next(): Token {
    const token = this.tokens[this.index];
    if (!token) throw new SqlSyntaxError('unexpected end of statement', this.sql.length);
    this.index++;
    return token;
  }

  /** True when the next tokens are these words (case-insensitive); does not consume. */
  isWord(...words: string[]): boolean {
    return words.every((word, k) => {
      const token = this.peek(k);
      return token?.kind === 'word' && token.text.toUpperCase() === word.toUpperCase();
    });
  }

  /** Consumes the words if they are next; returns whether it did. */
  acceptWords(...words: string[]): boolean {
    if (!this.isWord(...words)) return false;
    this.index += words.length;
    return true;
  }

  expectWords(...words: string[]): void {
    if (!this.acceptWords(...words)) {
      throw new SqlSyntaxError(`expected ${words.join(' ')} but found ${this.describeNext()}`, this.position);
    }
  }

  isPunct(char: string): boolean {
    const token = this.peek();
    return token?.kind === 'punct' && token.text === char;
  }

  acceptPunct(char: string): boolean {
    if (!this.isPunct(char)) return false;
    this.index++;
    return true;
  }

  expectPunct(char: string): void {
    if (!this.acceptPunct(char)) {
      throw new SqlSyntaxError(`expected '${char}' but found ${this.describeNext()}`, this.position);
    }
  }

  /** An identifier: a word, a `backtick` name or a "quoted" name. Returned as written (unquoted). */
  expectIdentifier(what: string): string {
    const token = this.peek();
    if (token?.kind === 'word') {
      this.index++;
      return token.text;
    }
    if (token?.kind === 'backtick' || token?.kind === 'quoted') {
      this.index++;
      return unquoteStandard(token.text);
    }
    throw new SqlSyntaxError(`expected ${what} but found ${this.describeNext()}`, this.position);
  }

  /** A Hive string literal ('...' or "..."), unescaped. */
  expectHiveString(what: string): string {
    const token = this.peek();
    if (token?.kind === 'string' || token?.kind === 'quoted') {
      this.index++;
      return unquoteHive(token.text);
    }
    throw new SqlSyntaxError(
      `expected ${what} (a quoted string) but found ${this.describeNext()}`,
      this.position,
    );
  }

  expectNumber(what: string): number {
    const token = this.peek();
    if (token?.kind === 'number') {
      this.index++;
      return Number(token.text);
    }
    throw new SqlSyntaxError(`expected ${what} but found ${this.describeNext()}`, this.position);
  }

  expectEnd(): void {
    if (!this.done) {
      throw new SqlSyntaxError(
        `unexpected ${this.describeNext()} after the end of the statement`,
        this.position,
      );
    }
  }

  describeNext(): string {
    const token = this.peek();
    return token
      ? `'${token.text.length > 40 ? `${token.text.slice(0, 40)}...` : token.text}'`
      : 'end of statement';
  }
}

/**
 * Removes one trailing `;` (and what follows it when that is only space or comments). Athena runs
 * one statement per query: anything after the first top-level `;` is an error.
 */
export function singleStatement(sql: string, options: TokenizeOptions = {}): string {
  const tokens = tokenize(sql, options);
  const semi = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
  if (semi < 0) return sql;
  const rest = tokens.slice(semi + 1).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  if (rest.length > 0) {
    throw new SqlSyntaxError(`Only one sql statement is allowed. Got: ${sql}`, tokens[semi].start);
  }
  return sql.slice(0, tokens[semi].start);
}

/** The first `count` words of a statement, upper-cased, skipping spaces, comments and `(`. */
export function leadingWords(sql: string, count: number): string[] {
  const words: string[] = [];
  const pattern = /\s+|--[^\n]*|\/\*[\s\S]*?\*\/|\(|([A-Za-z_][A-Za-z0-9_]*)/y;
  let match: RegExpExecArray | null = pattern.exec(sql);
  while (match && words.length < count) {
    if (match[1]) words.push(match[1].toUpperCase());
    match = pattern.exec(sql);
  }
  return words;
}

/**
 * `EXPLAIN [ANALYZE] [VERBOSE] [(options)]` in front of a statement: whether it says ANALYZE, and the
 * offset where the explained statement starts. Undefined when the text is not an EXPLAIN.
 */
export function explainPrefix(sql: string): { analyze: boolean; length: number } | undefined {
  let cursor: TokenCursor;
  try {
    cursor = new TokenCursor(sql, tokenize(sql));
    if (!cursor.acceptWords('EXPLAIN')) return undefined;
    const analyze = cursor.acceptWords('ANALYZE');
    cursor.acceptWords('VERBOSE');
    if (cursor.isPunct('(')) {
      let depth = 0;
      do {
        const token = cursor.next();
        if (token.kind === 'punct' && token.text === '(') depth++;
        if (token.kind === 'punct' && token.text === ')') depth--;
      } while (depth > 0);
    }
    return { analyze, length: cursor.position };
  } catch {
    return undefined;
  }
}
