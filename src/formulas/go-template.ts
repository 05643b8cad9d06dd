/**
 * Just enough of Go's text/template for convoy prompts: `{{.field.path}}`, `{{if .x}}…{{else}}…{{end}}`,
 * `{{range .list}}…{{end}}` (with `.` the element inside) and the `{{-`/`-}}` whitespace trims. Fields
 * without a value, and actions we do not know, are left as written, so nothing is silently lost. A
 * template whose blocks do not balance is returned unchanged.
 */

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'field'; path: string[]; raw: string }
  | { kind: 'block'; op: 'if' | 'range'; path: string[]; then: Node[]; otherwise: Node[]; inElse: boolean };

interface Token {
  text?: string;
  action?: string;
  raw?: string;
  trimLeft?: boolean;
  trimRight?: boolean;
}

const ACTION = /\{\{(-\s+)?([\s\S]*?)(\s+-)?\}\}/g;
const FIELD = /^\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of template.matchAll(ACTION)) {
    if (m.index! > last) tokens.push({ text: template.slice(last, m.index) });
    tokens.push({ action: m[2]!.trim(), raw: m[0], trimLeft: m[1] !== undefined, trimRight: m[3] !== undefined });
    last = m.index! + m[0].length;
  }
  if (last < template.length) tokens.push({ text: template.slice(last) });
  tokens.forEach((t, i) => {
    if (t.action === undefined) return;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    if (t.trimLeft && before?.text !== undefined) before.text = before.text.replace(/\s+$/, '');
    if (t.trimRight && after?.text !== undefined) after.text = after.text.replace(/^\s+/, '');
  });
  return tokens;
}

function pathOf(field: string): string[] {
  return field === '.' ? [] : field.slice(1).split('.');
}

function parse(template: string): Node[] | undefined {
  const root: Node[] = [];
  const stack: Extract<Node, { kind: 'block' }>[] = [];
  const current = (): Node[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.otherwise : top.then) : root;
  };
  for (const t of tokenize(template)) {
    if (t.text !== undefined) {
      if (t.text !== '') current().push({ kind: 'text', text: t.text });
      continue;
    }
    const action = t.action!;
    const block = /^(if|range)\s+(\S+)$/.exec(action);
    if (block && FIELD.test(block[2]!)) {
      const node: Node = { kind: 'block', op: block[1] as 'if' | 'range', path: pathOf(block[2]!), then: [], otherwise: [], inElse: false };
      current().push(node);
      stack.push(node);
    } else if (action === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.inElse) return undefined;
      top.inElse = true;
    } else if (action === 'end') {
      if (!stack.pop()) return undefined;
    } else if (/^(if|range|with|block|define|template)\b/.test(action) || action.startsWith('else ')) {
      // A construct we do not evaluate: the template is used as written.
      return undefined;
    } else if (FIELD.test(action)) {
      current().push({ kind: 'field', path: pathOf(action), raw: t.raw! });
    } else {
      current().push({ kind: 'text', text: t.raw! });
    }
  }
  return stack.length === 0 ? root : undefined;
}

function lookup(dot: unknown, path: readonly string[]): { found: boolean; value?: unknown } {
  let v: unknown = dot;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !(p in (v as Record<string, unknown>))) return { found: false };
    v = (v as Record<string, unknown>)[p];
  }
  return v === undefined ? { found: false } : { found: true, value: v };
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function render(nodes: readonly Node[], dot: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'field') {
      const r = lookup(dot, n.path);
      out += r.found ? show(r.value) : n.raw;
    } else {
      const r = lookup(dot, n.path);
      if (n.op === 'if') out += render(truthy(r.value) ? n.then : n.otherwise, dot);
      else if (Array.isArray(r.value) && r.value.length > 0) for (const item of r.value) out += render(n.then, item);
      // A single value (a glob given as text) is a list of one.
      else if (!Array.isArray(r.value) && truthy(r.value)) out += render(n.then, r.value);
      else out += render(n.otherwise, dot);
    }
  }
  return out;
}

export function renderTemplate(template: string, data: Record<string, unknown>): string {
  const nodes = parse(template);
  return nodes ? render(nodes, data) : template;
}
