/**
 * Maps positions in a translated query back to the query it was translated from. A transpiler
 * rewrites the whole text, but keeps most tokens (names, literals, punctuation) in their order: the
 * two token sequences are aligned (longest common subsequence, or a greedy walk for very long
 * queries) and a position in a matched token maps to the same place in its partner.
 */
import { type Token, tokenize } from './sql-tokenizer';

/** LCS tables above this many cells use the greedy alignment (memory and time stay bounded). */
const MAX_CELLS = 4_000_000;
const GREEDY_LOOKAHEAD = 64;

/**
 * A map from offsets in `to` to offsets in `from`. `aliases` lists names the translation wrote in
 * place of a name of `from` (lower case), which then still align.
 */
export function alignmentMap(
  from: string,
  to: string,
  aliases: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): (offset: number) => number | undefined {
  let aligned: { source: Token[]; target: Token[]; match: Int32Array } | undefined;
  return (offset) => {
    aligned ??= align(from, to, aliases);
    const { source, target, match } = aligned;
    const at = target.findIndex((t) => offset < t.end);
    if (at < 0) return from.length;
    if (match[at] >= 0) {
      const partner = source[match[at]];
      return partner.start + Math.min(Math.max(0, offset - target[at].start), partner.text.length - 1);
    }
    // An unmatched token (a renamed function): the name before the next matched token.
    for (let k = at + 1; k < target.length; k++) {
      if (match[k] < 0) continue;
      const before = source[match[k] - 1];
      return before && before.kind === 'word' ? before.start : source[match[k]].start;
    }
    return undefined;
  };
}

function significant(sql: string): Token[] {
  try {
    return tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  } catch {
    return [];
  }
}

function key(token: Token): string {
  return token.kind === 'word' ? token.text.toLowerCase().replace(/^__(athena|duckdb)_/, '') : token.text;
}

function align(
  from: string,
  to: string,
  aliases: ReadonlyMap<string, ReadonlySet<string>>,
): { source: Token[]; target: Token[]; match: Int32Array } {
  const source = significant(from);
  const target = significant(to);
  const sourceKeys = source.map(key);
  const targetKeys = target.map(key);
  const same = (i: number, j: number) =>
    sourceKeys[i] === targetKeys[j] || (aliases.get(sourceKeys[i])?.has(targetKeys[j]) ?? false);
  const match = new Int32Array(target.length).fill(-1);
  const n = source.length;
  const m = target.length;
  if (n * m > MAX_CELLS) {
    let i = 0;
    for (let j = 0; j < m && i < n; j++) {
      for (let k = i; k < Math.min(n, i + GREEDY_LOOKAHEAD); k++) {
        if (same(k, j)) {
          match[j] = k;
          i = k + 1;
          break;
        }
      }
    }
    return { source, target, match };
  }
  // lengths[i][j]: LCS of source[i..] and target[j..].
  const width = m + 1;
  const lengths = new Int32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = same(i, j)
        ? lengths[(i + 1) * width + j + 1] + 1
        : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (same(i, j)) {
      match[j] = i;
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) {
      i++;
    } else {
      j++;
    }
  }
  return { source, target, match };
}
