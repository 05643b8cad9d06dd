/**
 * The person at the keyboard, as git would sign their commits: `user.name` and `user.email`, with
 * `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL` first, as git does. Git's answer is cached (config-cache.ts).
 */
import { cachedConfig } from './config-cache.js';

export interface UserIdentity {
  name: string;
  email: string;
}

/**
 * Who the overseer is, as git would sign: the environment first, then git's configuration; `fallback`
 * fills what neither says.
 */
export function userIdentity(gitDir: string, commonDir: string, fallback: UserIdentity): UserIdentity {
  const envName = process.env.GIT_AUTHOR_NAME;
  const envEmail = process.env.GIT_AUTHOR_EMAIL;
  if (envName && envEmail) return { name: envName, email: envEmail };
  const configured = cachedConfig(gitDir, commonDir, 'identity', ['user.name', 'user.email']);
  return { name: envName || configured['user.name'] || fallback.name, email: envEmail || configured['user.email'] || fallback.email };
}
