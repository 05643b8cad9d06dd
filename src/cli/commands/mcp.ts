import type { Command } from 'commander';
import { globalsOf, gtEntry } from '../context.js';
import { runMcpServer } from '../../mcp/server.js';

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description(
      "serve the Mayor's tools over MCP on stdin/stdout until the client leaves: gt_sling_batch, gt_list_convoys, gt_convoy_status, and gt_ready, gt_show, gt_create, gt_update, gt_close, gt_comment, gt_mail_send, gt_mail_inbox, gt_hook, gt_prime, gt_mol_current, gt_mol_step_done, gt_done; every tool acts as --as <agent> (default: $GT_AGENT, else the overseer). Register it with e.g. `claude mcp add gt -- gt mcp`",
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = globalsOf(command);
      await runMcpServer({
        cwd: globals.cwd ?? process.cwd(),
        ...(globals.as !== undefined ? { actor: globals.as } : {}),
        gtEntry: gtEntry(),
        version: command.parent!.version() ?? '0.0.0',
      });
    });
}
