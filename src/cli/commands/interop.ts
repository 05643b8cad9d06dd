import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { printJson, printLine, writeSlices } from '../output.js';
import { exportTable, formatFromPath, readImport, type InteropFormat } from '../../beads/interop.js';
import { applyImport } from '../../beads/bead-import.js';
import { bytesSource, IMPORT_CHUNK, type ImportSource } from '../../beads/import-source.js';
import { UsageError } from '../../errors.js';
import { oneOf } from '../options.js';
import { plural } from '../../ledger/wording.js';

const FORMATS: readonly InteropFormat[] = ['jsonl', 'json', 'yaml'];

function parseFormat(raw: string | undefined, path: string | undefined): InteropFormat {
  if (raw !== undefined) {
    if (!(FORMATS as readonly string[]).includes(raw)) throw new UsageError(`unknown format '${raw}'`, `use one of: ${FORMATS.join(', ')}`);
    return raw as InteropFormat;
  }
  if (path === undefined || path === '-') return 'jsonl';
  const guessed = formatFromPath(path);
  if (!guessed) throw new UsageError(`cannot tell the format of ${path} from its name`, 'say it with --format jsonl|json|yaml');
  return guessed;
}

/** Writes a file a slice at a time, so that the whole text is never one string. */
function writeFileSlices(path: string, slices: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    // Given a descriptor, writeFileSync writes at the current position, all of the slice.
    for (const slice of slices) writeFileSync(fd, slice);
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of an import. A file is read a chunk at a time, from its start again should the write be
 * retried, so that a big file is never held whole; standard input, which cannot be read twice, is.
 */
function importSource(file: string): ImportSource & { close(): void } {
  const read = <T>(what: () => T): T => {
    try {
      return what();
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  if (file === '-') return { ...bytesSource(read(() => readFileSync(0))), close: () => {} };
  const fd = read(() => openSync(file, 'r'));
  // A folder opens; reading it is what fails.
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new UsageError(`cannot read ${file}: it is a folder`, 'name the file to import');
  }
  return {
    *chunks() {
      for (let position = 0; ; ) {
        const chunk = Buffer.allocUnsafe(IMPORT_CHUNK);
        const length = read(() => readSync(fd, chunk, 0, IMPORT_CHUNK, position));
        if (length === 0) return;
        position += length;
        yield chunk.subarray(0, length);
      }
    },
    whole: () => read(() => readFileSync(fd)),
    close: () => closeSync(fd),
  };
}

export function registerInterop(program: Command): void {
  program
    .command('import')
    .description("import beads from Beads' JSONL (bd export), or a JSON or YAML list; one commit, all or nothing")
    .argument('<file>', 'the file to import ("-" for standard input)')
    .option('--format <format>', 'jsonl, json or yaml (default: from the file name)', oneOf('--format', FORMATS, 'format'))
    .option('--json', 'print the import report as JSON')
    .action(async (file: string, options: { format?: string }, command: Command) => {
      const format = parseFormat(options.format, file);
      // Opened (standard input: read) before the ledger is, so that a bad path fails first.
      const source = importSource(file);
      try {
        await withLedger(command, async (ledger) => {
          const { result } = await ledger.write((tx) => {
            const report = applyImport(tx, readImport(source, format, tx.actor.name, tx.now));
            const count = report.created.length + report.updated.length;
            return { result: report, message: `import ${count} bead${count === 1 ? '' : 's'} from ${file === '-' ? 'stdin' : file}` };
          });
          if (globalsOf(command).json) return printJson(result);
          printLine(`imported ${result.created.length} new, ${result.updated.length} updated, ${result.unchanged.length} unchanged, ${result.skipped.length} skipped`);
          if (result.declaredTypes.length > 0) printLine(`declared types in gt.yaml: ${result.declaredTypes.join(', ')}`);
          for (const s of result.skipped) printLine(`  skipped ${s.id}: ${s.reason}`);
          for (const n of result.notes) printLine(`  note: ${n}`);
        });
      } finally {
        source.close();
      }
    });

  program
    .command('export')
    .description("export every bead (closed ones too) as Beads' JSONL, or a JSON or YAML list")
    .option('--format <format>', 'jsonl, json or yaml (default: from --output, else jsonl)', oneOf('--format', FORMATS, 'format'))
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (options: { format?: string; output?: string }, command: Command) => {
      const format = parseFormat(options.format ?? (globalsOf(command).json ? 'json' : undefined), options.output);
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const slices = exportTable(view.beads, format);
        if (options.output) {
          writeFileSlices(options.output, slices);
          process.stderr.write(`exported ${plural(view.beads.size, 'bead')} to ${options.output}\n`);
        } else await writeSlices(slices);
      });
    });
}

