import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

export interface CsvRow {
  /** 1-based line in the file where the record ends (the header is line 1). */
  line: number;
  record: Record<string, string>;
}

export interface CsvProblem {
  line: number;
  message: string;
}

/**
 * Streams a CSV with a header row. A malformed record (wrong column count, bad quote) is
 * handed to `onBad` with its line number and skipped; the rest keeps coming.
 */
export async function* readCsv(file: string, onBad: (p: CsvProblem) => void): AsyncGenerator<CsvRow> {
  const parser = createReadStream(file).pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        if (err) onBad({ line: Number(err.lines), message: err.message.replace(/ (on|at) line \d+$/, '') });
      },
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, record };
  }
}
