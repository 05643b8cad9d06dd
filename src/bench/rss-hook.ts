/**
 * Preloaded (`node --import`) into a measured process when GNU time is not available: reports the
 * process's peak memory (max RSS, kilobytes) and CPU time (microseconds) on fd 3 as it exits.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  try {
    const usage = process.resourceUsage();
    writeSync(3, `${usage.maxRSS} ${usage.userCPUTime} ${usage.systemCPUTime}\n`);
  } catch {
    // fd 3 is not open: nobody is listening.
  }
});
