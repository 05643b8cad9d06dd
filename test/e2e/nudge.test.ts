import { describe, expect, it } from 'vitest';
import { useGtRepo } from '../helpers/repo.js';

interface Mail {
  id: string;
  from: string;
  to: string;
  subject: string;
  body?: string;
  kind?: string;
  status: string;
}
interface Check {
  agent: string;
  unread: number;
  nudges: Mail[];
  mail: Mail[];
}

const r = useGtRepo((template) => template.gtOk('agents', 'add', 'nux'));

const asNux = (...args: string[]) => r.gt([...args, '--as', 'nux']);

describe('gt nudge', () => {
  it('is mail marked nudge, shown first by gt prime and gt mail check, and gt mail check --inject shows it once and marks it read', () => {
    r.gtOk('mail', 'send', 'nux', '-s', 'Ordinary news', '-m', 'nothing urgent');
    const nudge = r.gtJson<Mail>('nudge', 'nux', '-m', 'Are you stuck?\nCommit what you have.');
    expect(nudge).toMatchObject({ to: 'nux', from: 'overseer', kind: 'nudge', subject: 'Are you stuck?', body: 'Commit what you have.', status: 'unread' });
    expect(r.gtJson<Mail[]>('mail', 'inbox', '--as', 'nux').find((m) => m.subject === 'Ordinary news')!.kind).toBeUndefined();

    // gt prime: the nudge above everything else, the other mail where it always was.
    const prime = asNux('prime');
    expect(prime.status).toBe(0);
    expect(prime.stdout.startsWith('## ⚠ Nudge for you (1): read this first\n')).toBe(true);
    expect(prime.stdout.indexOf('Are you stuck?')).toBeLessThan(prime.stdout.indexOf('# You are nux'));
    expect(prime.stdout).toContain('## Mail: 1 unread');
    expect(prime.stdout.split('Are you stuck?')).toHaveLength(2);
    const primeJson = JSON.parse(asNux('prime', '--json').stdout) as { nudges: Mail[]; unread_mail: Mail[] };
    expect(primeJson.nudges.map((m) => m.id)).toEqual([nudge.id]);
    expect(primeJson.unread_mail.map((m) => m.subject)).toEqual(['Ordinary news']);

    // gt mail check: the count and a line each, nudges first; it marks nothing read.
    const check = asNux('mail', 'check');
    expect(check.status).toBe(0);
    const lines = check.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('2 unread (1 nudge)');
    expect(lines[1]).toMatch(new RegExp(`^⚠ nudge  ${nudge.id} .* Are you stuck\\?$`));
    expect(lines[2]).toContain('Ordinary news');
    expect(JSON.parse(asNux('mail', 'check', '--json').stdout)).toMatchObject({ agent: 'nux', unread: 2, nudges: [{ id: nudge.id }], mail: [{ subject: 'Ordinary news' }] });

    // --inject: everything in full for the agent's context, the nudge first; then read, so a second prints nothing.
    const inject = asNux('mail', 'check', '--inject');
    expect(inject.status).toBe(0);
    expect(inject.stdout).toContain('Commit what you have.');
    expect(inject.stdout).toContain('nothing urgent');
    expect(inject.stdout.indexOf('Are you stuck?')).toBeLessThan(inject.stdout.indexOf('Ordinary news'));
    const again = asNux('mail', 'check', '--inject');
    expect(again).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(JSON.parse(asNux('mail', 'check', '--json').stdout)).toMatchObject({ unread: 0, nudges: [], mail: [] });
    expect(asNux('mail', 'check').stdout).toBe('no unread mail\n');
    expect(asNux('prime').stdout).not.toContain('Nudge');
    expect(r.gtJson<Mail[]>('mail', 'inbox', '--as', 'nux').every((m) => m.status === 'read')).toBe(true);
  });

  it('refuses an unknown agent and an empty nudge', () => {
    const unknown = r.gt(['nudge', 'nuxx', '-m', 'hello']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no agent matches 'nuxx'");
    expect(unknown.stderr).toContain('nux');
    const empty = r.gt(['nudge', 'nux', '-m', '  ']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('the nudge is empty');
    expect(r.gt(['nudge', 'nux']).status).toBe(2);
  });
});
