/**
 * A small evaluator of EventBridge event patterns, enough for the stack's rules: a pattern object's
 * keys must all be in the event; a nested object matches a nested object; an array lists the values a
 * field may have (exact matches of strings, numbers or booleans). Content filters (prefix, numeric,
 * exists, anything-but) are not used by the stack and are refused rather than guessed.
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    for (const allowed of pattern) {
      if (allowed !== null && typeof allowed === 'object') {
        throw new Error(`content filters are not supported by this evaluator: ${JSON.stringify(allowed)}`);
      }
    }
    // A field holding an array matches when any of its values is allowed.
    const values = Array.isArray(event) ? event : [event];
    return values.some((value) => pattern.includes(value));
  }
  if (pattern === null || typeof pattern !== 'object') {
    throw new Error(`a pattern leaf must be an array of values, got ${JSON.stringify(pattern)}`);
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
  return Object.entries(pattern).every(
    ([key, sub]) => key in event && matchesEventPattern(sub, (event as Record<string, unknown>)[key]),
  );
}

/** What an EventBridge input transformer sends for an event: the template with `<name>` replaced. */
export function transformInput(
  transformer: { InputPathsMap: Record<string, string>; InputTemplate: string },
  event: Record<string, unknown>,
): string {
  let text = transformer.InputTemplate;
  for (const [name, path] of Object.entries(transformer.InputPathsMap)) {
    if (!/^\$(\.[\w-]+)+$/.test(path)) throw new Error(`unsupported input path ${path}`);
    const value = path
      .slice(2)
      .split('.')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
    // A string value placed inside a JSON string of the template is inserted as is.
    text = text.split(`<${name}>`).join(String(value));
  }
  return text;
}
