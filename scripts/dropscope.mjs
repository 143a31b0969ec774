// `npm run dropscope`: the admin CLI. Runs the bundled dist/dropscope.mjs when the build is
// made from this checkout (scripts/build-freshness.mjs), in this process; else
// cli/dropscope.ts through tsx. The bundle starts in a fraction of the time: no transpiling,
// and each command loads only what it uses (cli/dropscope.ts).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBuild } from './build-freshness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const decision = checkBuild(root, process.env, { requires: ['dist/dropscope.mjs'] });
if (decision.action === 'serve') {
  await import('../dist/dropscope.mjs');
} else {
  process.stderr.write(`dropscope: running from source, slower, because ${decision.reason} (\`npm run build\` makes it fast again)\n`);
  // tsx's own launcher: it registers both module systems (cli/ is CommonJS to tsx).
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.resolve('tsx/cli')), path.join(root, 'cli/dropscope.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
