// `node --import ./test/cli/module-trace.mjs ...`: every module the process resolves is
// appended, as a URL, to the file named by DROPSCOPE_TRACE_MODULES (test/cli/dropscope.test.ts).
import { register } from 'node:module';

register('./module-trace-hooks.mjs', import.meta.url);
