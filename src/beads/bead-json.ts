/**
 * What `list` sorts by, read straight from a bead's JSON text without parsing it. Sound because the
 * text is JSON.stringify of a validated bead: keys come in BEAD_KEY_ORDER, so `"priority":` and
 * `"created_at":"` first occur as the bead's own keys (inside a string value a quote would be escaped
 * as `\"`, and no nested object of a bead has either key: comments have `at`, deps have `type`/`id`).
 */
const PRIORITY = /"priority":(\d)/;
const CREATED_AT = /"created_at":"([^"]*)"/;

export interface BeadSortKey {
  priority: number;
  created_at: string;
}

export function sortKeyOfJson(text: string): BeadSortKey | undefined {
  const priority = PRIORITY.exec(text)?.[1];
  const created = CREATED_AT.exec(text)?.[1];
  return priority === undefined || created === undefined ? undefined : { priority: Number(priority), created_at: created };
}

/*
 * A bead's dependencies, read the same way: `"deps":[` first occurs as the bead's own key, and its
 * elements are flat {type, id} objects whose strings (a dependency type, a bead id) hold no bracket.
 */
const DEPS = /"deps":(\[[^\]]*\])/;

export function depsOfJson(text: string): { type: string; id: string }[] | undefined {
  const match = DEPS.exec(text);
  if (!match) return text.startsWith('{') ? [] : undefined;
  try {
    return JSON.parse(match[1]!) as { type: string; id: string }[];
  } catch {
    return undefined;
  }
}
