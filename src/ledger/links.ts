import { linesAfterKey, linesKeptBut, type Derivation } from './derived.js';

/** A reference from one entity to another of its kind (a bead's dependency): its type and the entity it names. */
export type LinksOf = (text: string) => readonly (readonly [type: string, target: string])[];

/** An entity that refers to another, and how. */
export interface Referrer {
  source: string;
  type: string;
}

function linesOf(id: string, text: string, linksOf: LinksOf): string {
  let out = '';
  for (const [type, target] of linksOf(text)) out += `${target}\t${type}\t${id}\n`;
  return out;
}

/**
 * Who refers to whom within one kind (derived.ts): a line per reference, `<target>\t<type>\t<source>`,
 * after a first empty line. "Who depends on X" is then a text search, not a parse of every entity.
 */
export function linksDerivation(linksOf: LinksOf): Derivation {
  return {
    name: 'links-1',
    full: (table) => {
      let out = '\n';
      for (const row of table.textsWithStatus(() => true)) out += linesOf(row.id, row.text, linksOf);
      return out;
    },
    update: (previous, changed, table) => {
      let out = `\n${linesKeptBut(previous, changed, -1)}`;
      for (const id of changed) {
        const text = table.textOf(id);
        if (text !== undefined) out += linesOf(id, text, linksOf);
      }
      return out;
    },
  };
}

/** The referrers of `id` in a links text, by source then type. */
export function referrersIn(text: string, id: string): Referrer[] {
  return linesAfterKey(text, id)
    .map((rest) => {
      const tab = rest.indexOf('\t');
      return { type: rest.slice(0, tab), source: rest.slice(tab + 1) };
    })
    .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.type < b.type ? -1 : 1));
}
