/** Placeholders, globs, step conditions and loop ranges: the small languages inside formulas. */

const VAR_REF = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/** Replaces `{{name}}` with bound values; names without a value are left as written. */
export function substituteVars(text: string, values: ReadonlyMap<string, string>): string {
  if (!text.includes('{{')) return text;
  return text.replace(VAR_REF, (whole, name: string) => values.get(name) ?? whole);
}

/** The `{{name}}` placeholders a text uses. */
export function varsIn(text: string): string[] {
  return [...text.matchAll(VAR_REF)].map((m) => m[1]!);
}

/** Replaces single-brace placeholders (`{target}`, `{step.id}`, loop `{i}`) from a table. */
export function substituteBraces(text: string, values: ReadonlyMap<string, string>): string {
  if (!text.includes('{') || values.size === 0) return text;
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_.]*)\}/g, (whole, name: string, offset: number, all: string) => {
    // `{{x}}` is a formula variable, not ours.
    if (all[offset - 1] === '{' && all[offset + whole.length] === '}') return whole;
    return values.get(name) ?? whole;
  });
}

const globCache = new Map<string, RegExp>();

/** Step-id globs: `*` any run of characters (dots included), `?` one character, `[abc]` a class. */
export function matchGlob(pattern: string, id: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === id;
  let re = globCache.get(pattern);
  if (!re) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*') source += '.*';
      else if (c === '?') source += '.';
      else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) source += '\\[';
        else {
          source += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
          i = end;
        }
      } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`);
    globCache.set(pattern, re);
  }
  return re.test(id);
}

export type ConditionResult = { decided: true; value: boolean } | { decided: false };

const COND_TRUTHY = /^(!)?\s*\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$/;
const COND_COMPARE = /^\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}\s*(==|!=)\s*(.+)$/;

export function isTruthy(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  return !['false', '0', 'no', 'off'].includes(value.toLowerCase());
}

function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && ((t[0] === '"' && t.endsWith('"')) || (t[0] === "'" && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

/**
 * A step condition decided at cook time: `{{v}}`, `!{{v}}`, `{{v}} == x`, `{{v}} != x`. Anything else
 * (`step.status == 'complete'`, `env.CI == 'true'`…) is a runtime condition, left for the molecule runtime.
 */
export function evaluateCondition(condition: string, values: ReadonlyMap<string, string>): ConditionResult {
  const c = condition.trim();
  if (c === '') return { decided: true, value: true };
  const truthy = COND_TRUTHY.exec(c);
  if (truthy) {
    const value = isTruthy(values.get(truthy[2]!));
    return { decided: true, value: truthy[1] ? !value : value };
  }
  const compare = COND_COMPARE.exec(c);
  if (compare) {
    const actual = values.get(compare[1]!) ?? '';
    const expected = unquote(compare[3]!);
    return { decided: true, value: compare[2] === '==' ? actual === expected : actual !== expected };
  }
  return { decided: false };
}

/** True when a condition is of the cook-time kind (it names formula variables). */
export function isCookTimeCondition(condition: string): boolean {
  const c = condition.trim();
  return COND_TRUTHY.test(c) || COND_COMPARE.test(c);
}

/**
 * Integer arithmetic for loop ranges: + - * / (whole division) ^ (power, right-associative),
 * parentheses and unary minus. `{name}` placeholders must be replaced before.
 */
export function evaluateExpression(text: string): number {
  let pos = 0;
  const peek = (): string => {
    while (text[pos] === ' ' || text[pos] === '\t') pos++;
    return text[pos] ?? '';
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at '${text.slice(pos) || 'the end'}' in '${text}'`);
  };
  const primary = (): number => {
    const c = peek();
    if (c === '(') {
      pos++;
      const v = sum();
      if (peek() !== ')') fail("expected ')'");
      pos++;
      return v;
    }
    if (c === '-') {
      pos++;
      return -power();
    }
    const m = /^\d+/.exec(text.slice(pos));
    if (!m) fail('expected a number');
    pos += m![0].length;
    return Number(m![0]);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^') {
      pos++;
      const exponent = power();
      if (exponent < 0) fail('negative exponent');
      return base ** exponent;
    }
    return base;
  };
  const product = (): number => {
    let v = power();
    for (;;) {
      const c = peek();
      if (c === '*') {
        pos++;
        v *= power();
      } else if (c === '/') {
        pos++;
        const d = power();
        if (d === 0) fail('division by zero');
        v = Math.trunc(v / d);
      } else return v;
    }
  };
  const sum = (): number => {
    let v = product();
    for (;;) {
      const c = peek();
      if (c === '+') {
        pos++;
        v += product();
      } else if (c === '-') {
        pos++;
        v -= product();
      } else return v;
    }
  };
  const value = sum();
  if (peek() !== '') fail('unexpected text');
  if (!Number.isSafeInteger(value)) throw new Error(`'${text}' is too large`);
  return value;
}

/** `start..end` (both inclusive) with expressions on each side. */
export function evaluateRange(text: string): { start: number; end: number } {
  const at = text.indexOf('..');
  if (at < 0) throw new Error(`'${text}' is not a range (start..end)`);
  return { start: evaluateExpression(text.slice(0, at)), end: evaluateExpression(text.slice(at + 2)) };
}
