/**
 * vitest setupFiles: every test starts from the same environment, whatever the machine running it
 * exports. CI runners often set FORCE_COLOR, NO_COLOR or CI, and a developer's shell may hold GT_*
 * settings; either would change what the spawned `gt` prints. Tests that need one pass it explicitly.
 */
for (const name of Object.keys(process.env)) {
  if (name === 'GT_STRESS') continue;
  if (name.startsWith('GT_') || name === 'FORCE_COLOR' || name === 'NO_COLOR' || name === 'CLICOLOR' || name === 'CLICOLOR_FORCE' || name === 'CI') {
    delete process.env[name];
  }
}
