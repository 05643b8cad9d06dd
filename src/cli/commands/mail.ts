import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { withLedger, globalsOf, readView } from '../context.js';
import { printJson, printLine, shortTime } from '../output.js';
import { inboxOf, lookupMail, readMail, replyTo, sendMail } from '../../mail/mail-service.js';
import { UsageError } from '../../errors.js';

function bodyFrom(options: { message?: string; file?: string }): string | undefined {
  if (options.message !== undefined && options.file !== undefined) throw new UsageError('give the body with -m or --file, not both');
  if (options.file === undefined) return options.message;
  return options.file === '-' ? readFileSync(0, 'utf8') : readFileSync(options.file, 'utf8');
}

export function registerMail(program: Command): void {
  const mail = program.command('mail').description('mail between agents and the overseer, kept on the ledger');

  mail
    .command('send')
    .description('send a message')
    .argument('<to>', 'an agent name, or overseer')
    .requiredOption('-s, --subject <text>', 'subject line')
    .option('-m, --message <text>', 'the body')
    .option('--file <path>', 'read the body from a file (- for stdin)')
    .option('--json', 'print the message as JSON')
    .action(async (to: string, options: { subject: string; message?: string; file?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const body = bodyFrom(options);
        const { result } = await ledger.write((tx) => {
          const m = sendMail(tx, { to, subject: options.subject, ...(body !== undefined ? { body } : {}) });
          return { result: m, message: `mail ${m.id} to ${m.to}: ${m.subject}` };
        });
        if (globalsOf(command).json) return printJson(result);
        printLine(`sent ${result.id} to ${result.to}: ${result.subject}`);
      });
    });

  mail
    .command('inbox')
    .description('your messages, newest first')
    .option('-u, --unread', 'only unread messages')
    .option('--json', 'print a JSON array')
    .action(async (options: { unread?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const messages = inboxOf(await readView(ledger), ledger.actor.name, { unreadOnly: options.unread === true });
        if (globalsOf(command).json) return printJson(messages);
        if (messages.length === 0) return printLine(options.unread ? 'no unread mail' : 'no mail');
        for (const m of messages) printLine(`${m.status === 'unread' ? '●' : ' '} ${m.id}  ${shortTime(m.created_at)}  ${m.from.padEnd(10)}  ${m.subject}`);
      });
    });

  mail
    .command('read')
    .description('show a message; reading your own marks it read')
    .argument('<id>', 'message id (any unique prefix)')
    .option('--json', 'print the message as JSON')
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const found = lookupMail(view.mail, query);
        let shown = found;
        if (found.to === ledger.actor.name && found.status === 'unread') {
          shown = (await ledger.write((tx) => ({ result: readMail(tx, found.id).mail, message: `mail read ${found.id}` }))).result;
        }
        if (globalsOf(command).json) return printJson(shown);
        printLine(`From:    ${shown.from}`);
        printLine(`To:      ${shown.to}`);
        printLine(`Date:    ${shortTime(shown.created_at)}`);
        printLine(`Subject: ${shown.subject}`);
        if (shown.reply_to) printLine(`In reply to: ${shown.reply_to}`);
        if (shown.body) {
          printLine();
          printLine(shown.body);
        }
      });
    });

  mail
    .command('reply')
    .description('answer a message (to its sender, "Re: <subject>")')
    .argument('<id>', 'message id (any unique prefix)')
    .option('-m, --message <text>', 'the body')
    .option('--file <path>', 'read the body from a file (- for stdin)')
    .option('-s, --subject <text>', 'another subject')
    .option('--json', 'print the reply as JSON')
    .action(async (query: string, options: { message?: string; file?: string; subject?: string }, command: Command) => {
      const body = bodyFrom(options);
      if (body === undefined) throw new UsageError('the reply has no body', 'write it with -m "text"');
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const m = replyTo(tx, query, body, options.subject);
          return { result: m, message: `mail ${m.id} to ${m.to}: ${m.subject}` };
        });
        if (globalsOf(command).json) return printJson(result);
        printLine(`sent ${result.id} to ${result.to}: ${result.subject}`);
      });
    });
}
