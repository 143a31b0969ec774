/** Nested module loggers print one "module" key, as a path, and keep the parents' other bindings. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, moduleLogger } from '../../lib/log';

describe('moduleLogger', () => {
  it('joins nested modules into one key and keeps other bindings', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const root = createLogger({ level: 'info', destination: sink });
    const server = moduleLogger(root, 'server', { port: 3000 });
    const spool = moduleLogger(moduleLogger(server, 'demo-probe'), 'spool');
    spool.info({ depth: 2 }, 'spool opened');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.match(/"module"/g)).toHaveLength(1);
    expect(lines[0]!.match(/"service"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'dropscope', module: 'server/demo-probe/spool', port: 3000, depth: 2, msg: 'spool opened' });
  });
});
