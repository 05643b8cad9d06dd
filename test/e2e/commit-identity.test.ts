import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { useGtRepo } from '../helpers/repo.js';

const r = useGtRepo();

/** No identity in the environment: gt must ask git's configuration, as git would. */
const NO_ENV_IDENTITY = { GIT_AUTHOR_NAME: '', GIT_AUTHOR_EMAIL: '', GIT_COMMITTER_NAME: '', GIT_COMMITTER_EMAIL: '' };
const last = (ref: string): string => r.git('log', '-1', '--format=%an <%ae>|%(trailers:key=Gt-Actor,valueonly,separator=)|%(trailers:key=Gt-Host,valueonly,separator=)', ref).trim();

describe('who ledger commits say wrote them', () => {
  it("signs the overseer's commits as git's user, from the environment or git config, re-reading an edited config", () => {
    r.gtOk('create', 'From the environment');
    expect(last('gt/ledger')).toBe('Test User <test@example.com>|overseer|');

    r.git('config', 'user.name', 'Ada Lovelace');
    r.git('config', 'user.email', 'ada@example.com');
    expect(r.gt(['create', 'From git config'], { env: NO_ENV_IDENTITY }).status).toBe(0);
    expect(last('gt/ledger')).toBe('Ada Lovelace <ada@example.com>|overseer|');

    r.git('config', 'user.name', 'Grace Hopper');
    r.git('config', 'user.email', 'grace@example.com');
    expect(r.gt(['create', 'After the config changed'], { env: NO_ENV_IDENTITY }).status).toBe(0);
    expect(last('gt/ledger')).toBe('Grace Hopper <grace@example.com>|overseer|');

    r.git('config', '--unset', 'user.name');
    r.git('config', '--unset', 'user.email');
    expect(r.gt(['create', 'Nobody configured'], { env: NO_ENV_IDENTITY }).status).toBe(0);
    expect(last('gt/ledger')).toBe('overseer <overseer@gt.local>|overseer|');

    // gt log names the actor, whoever signed.
    const history = r.gtJson<{ author: string }[]>('log', r.gtJson<{ id: string }[]>('list')[0]!.id);
    expect(history.map((h) => h.author)).toEqual(['overseer']);
  });

  it('signs an agent commit as the agent and says which machine it came from', () => {
    const id = r.gtJson<{ id: string }>('create', 'Claim me').id;
    r.gtOk('update', id, '--claim', '--as', 'alice');
    expect(last('gt/agents/alice')).toBe(`alice <alice@gt.local>|alice|${hostname()}`);
  });
});
