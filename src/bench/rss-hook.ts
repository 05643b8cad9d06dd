/**
 * Preloaded (`node --import`) into a measured process when GNU time is not available: reports the
 * process's peak memory (max RSS, kilobytes) on fd 3 as it exits.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // fd 3 is not open: nobody is listening.
  }
});
