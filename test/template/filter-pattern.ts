/**
 * A small evaluator of CloudWatch Logs JSON filter patterns, enough for the seed metric filters:
 * `{ expr }` where expr combines `$.path = "value"` / `!=` terms with `&&`, `||` and parentheses (`&&` binds
 * tighter), and `*` in a value is a wildcard. A term whose field is missing does not match.
 */
export function matchesFilterPattern(pattern: string, logEvent: string): boolean {
  const trimmed = pattern.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}'))
    throw new Error(`not a JSON filter pattern: ${pattern}`);
  let event: unknown;
  try {
    event = JSON.parse(logEvent);
  } catch {
    return false;
  }
  const tokens = tokenize(trimmed.slice(1, -1));
  let position = 0;

  const peek = () => tokens[position];
  const next = () => tokens[position++];

  const parseOr = (): boolean => {
    let value = parseAnd();
    while (peek() === '||') {
      next();
      const right = parseAnd();
      value = value || right;
    }
    return value;
  };
  const parseAnd = (): boolean => {
    let value = parseTerm();
    while (peek() === '&&') {
      next();
      const right = parseTerm();
      value = value && right;
    }
    return value;
  };
  const parseTerm = (): boolean => {
    const token = next();
    if (token === '(') {
      const value = parseOr();
      if (next() !== ')') throw new Error(`missing ) in ${pattern}`);
      return value;
    }
    if (!token?.startsWith('$.')) throw new Error(`expected a selector, got ${token} in ${pattern}`);
    const operator = next();
    const literal = next();
    if ((operator !== '=' && operator !== '!=') || !literal?.startsWith('"')) {
      throw new Error(`unsupported comparison ${token} ${operator} ${literal}`);
    }
    const actual = select(event, token.slice(2).split('.'));
    if (typeof actual !== 'string') return false;
    const expected = JSON.parse(literal) as string;
    const regex = new RegExp(`^${expected.split('*').map(escapeRegExp).join('.*')}$`);
    return operator === '=' ? regex.test(actual) : !regex.test(actual);
  };

  const result = parseOr();
  if (position !== tokens.length) throw new Error(`unexpected ${peek()} in ${pattern}`);
  return result;
}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  const regex = /\s*(\|\||&&|!=|=|\(|\)|"(?:[^"\\]|\\.)*"|\$[.\w]+)/gy;
  let end = 0;
  let match: RegExpExecArray | null = regex.exec(expression);
  while (match) {
    tokens.push(match[1]);
    end = regex.lastIndex;
    match = regex.exec(expression);
  }
  if (expression.slice(end).trim() !== '') throw new Error(`cannot parse '${expression.slice(end)}'`);
  return tokens;
}

function select(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (current, key) =>
      current && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined,
    value,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
