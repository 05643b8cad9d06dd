import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { withLedger, globalsOf, readView } from '../context.js';
import { printJson, printLine, printRow, formatTime, terminalSafe } from '../output.js';
import { inboxOf, lookupMail, readMail, replyTo, sendMail, unreadFor } from '../../mail/mail-service.js';
import type { Mail } from '../../mail/mail.js';
import { nudgeAgent } from '../../work/nudge.js';
import { messageLines, nudgeLines } from '../../work/prime.js';
import { UsageError } from '../../errors.js';

function bodyFrom(options: { message?: string; file?: string }): string | undefined {
  if (options.message !== undefined && options.file !== undefined) throw new UsageError('give the body with -m or --file, not both');
  if (options.file === undefined) return options.message;
  return options.file === '-' ? readFileSync(0, 'utf8') : readFileSync(options.file, 'utf8');
}

/** What `gt mail check --inject` prints: meant for an agent's context, so it says what it is and what to do. */
function injectText(name: string, nudges: readonly Mail[], mail: readonly Mail[]): string {
  const total = nudges.length + mail.length;
  const out = [`<gt-mail for="${name}">`, `${total} new message${total === 1 ? '' : 's'} for you from gt (now marked read):`, '', ...nudgeLines(nudges, true)];
  if (mail.length > 0) {
    out.push(`## Mail (${mail.length})`);
    for (const m of mail) out.push(...messageLines(m));
    out.push('Answer with `gt mail reply <id> -m "..."`.', '');
  }
  out.push('</gt-mail>');
  return `${out.join('\n')}\n`;
}

export function registerMail(program: Command): void {
  program
    .command('nudge')
    .description("send a running agent a nudge: mail marked as a nudge, shown first by its next gt prime and gt mail check --inject")
    .argument('<name>', 'the agent (a registered agent name)')
    .requiredOption('-m, --message <text>', 'what to tell it (the first line is the subject)')
    .option('--json', 'print the nudge (a mail message with kind nudge) as JSON')
    .action(async (name: string, options: { message: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const m = nudgeAgent(tx, name, options.message);
          return { result: m, message: `nudge ${m.id} to ${m.to}: ${m.subject}` };
        });
        if (globalsOf(command).json) return printJson(result);
        printLine(terminalSafe(`nudged ${result.to} (${result.id}): ${result.subject}`));
      });
    });

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
        for (const m of messages) printRow(`${m.status === 'unread' ? '●' : ' '} ${m.id}  ${formatTime(m.created_at)}  ${m.from.padEnd(10)}  ${m.subject}`);
      });
    });

  mail
    .command('check')
    .description(
      'your unread mail, nudges first: the count and one line each. With --inject, for an agent CLI hook (e.g. Claude Code UserPromptSubmit): prints the unread messages in full for the agent\'s context and marks them read, or nothing when there are none. Exits 0 either way (2 on a bad option, 1 when gt cannot read the ledger)',
    )
    .option('--inject', 'print the unread messages in full for an agent\'s context and mark them read; print nothing when there are none')
    .option('--json', 'print {agent, unread, nudges: [...], mail: [...]} (with --inject too, also when nothing is unread; those listed are marked read)')
    .action(async (options: { inject?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { nudges, mail: rest } = unreadFor(await readView(ledger), ledger.actor.name);
        const unread = nudges.length + rest.length;
        if (options.inject && unread > 0) {
          await ledger.write((tx) => {
            for (const m of [...nudges, ...rest]) readMail(tx, m.id);
            return { result: null, message: `mail check --inject: read ${[...nudges, ...rest].map((m) => m.id).join(', ')}` };
          });
        }
        if (globalsOf(command).json) return printJson({ agent: ledger.actor.name, unread, nudges, mail: rest });
        if (options.inject) {
          if (unread > 0) process.stdout.write(terminalSafe(injectText(ledger.actor.name, nudges, rest)));
          return;
        }
        if (unread === 0) return printLine('no unread mail');
        printLine(`${unread} unread${nudges.length > 0 ? ` (${nudges.length} nudge${nudges.length === 1 ? '' : 's'})` : ''}`);
        for (const m of [...nudges, ...rest]) printRow(`${m.kind === 'nudge' ? '⚠ nudge' : '● mail '}  ${m.id}  ${formatTime(m.created_at)}  ${m.from.padEnd(10)}  ${m.subject}`);
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
        printLine(`Date:    ${formatTime(shown.created_at)}`);
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
