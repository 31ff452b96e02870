/**
 * "Did you mean ...?" for unknown names. Optimal-string-alignment distance (Levenshtein plus
 * adjacent transposition), small enough to keep here instead of adding a dependency.
 */

export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i]![j] = v;
    }
  }
  return at(a.length, b.length);
}

/** A message lists the valid names when there are at most this many; beyond, it suggests the closest. */
export const LIST_NAMES_AT_MOST = 12;

/** The closest candidate, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | null {
  const lower = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  // Allow about one typo per three characters, at least one and at most three.
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return best !== null && bestDistance <= allowed ? best : null;
}

/** " Did you mean `x`?" or "" — ready to append to a message (config files' form, in backticks). */
export function didYouMean(word: string, candidates: Iterable<string>, quote = '`'): string {
  const hit = closest(word, candidates);
  return hit === null ? '' : ` Did you mean ${quote}${hit}${quote}?`;
}

/** The closest name, else " <label>: `a`, `b` or `c`." listing them all, else `whenNone`. */
export function didYouMeanOrList(word: string, known: readonly string[], label: string, whenNone = ''): string {
  return didYouMean(word, known) || (known.length ? ` ${label}: ${listNames(known)}.` : whenNone);
}

/** "`a`, `b` and `c`" for messages listing what is allowed. */
export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => `\`${n}\``);
  if (names.length > max) shown.push(`${names.length - max} more`);
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

/** The spec's form for request errors: " Did you mean 'x'?" or "". */
export function suggestionSuffix(word: string, candidates: Iterable<string>): string {
  return didYouMean(word, candidates, "'");
}
