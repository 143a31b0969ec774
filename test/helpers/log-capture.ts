/** A logger whose lines a test reads back: parsed (`lines`) and as written (`text`). */
import { createLogger, type Logger } from '../../lib/log';

/** A log line as pino wrote it, parsed. */
export type LogLine = Record<string, any>;

export function capturedLog(): { log: Logger; lines: LogLine[]; text: string[] } {
  const lines: LogLine[] = [];
  const text: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: {
      write: (s: string) => {
        text.push(s);
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  });
  return { log, lines, text };
}
