// The reference rewards are Python; these reproduce the few str/re behaviours they rely on
// where JavaScript differs (which characters count as whitespace, what `.` excludes).

/** Characters Python's `str.isspace()` (and so `strip()` and `re`'s `\s`) treats as whitespace. */
export const PYTHON_WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const STRIP = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, 'gu');

/** Python's `str.strip()` with no argument. JavaScript's `trim()` differs on U+001C–U+001F, U+0085 and U+FEFF. */
export function pythonStrip(text: string): string {
  return text.replace(STRIP, '');
}

/** Length in code points, as Python's `len(str)`. */
export function pythonLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
