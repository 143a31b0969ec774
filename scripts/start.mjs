// `npm start`: build when there is no build or the checkout is newer than the build (or
// refuse, with DROPSCOPE_NO_AUTOBUILD=1), then run the production server in this same
// process (no wrapper between the server and its signals). `npm start -- --demo` turns the
// built-in demo probe on (off by default: lib/config/server-env.ts).
import { spawnSync } from 'node:child_process';
import { BUILD_TAKES, checkBuild, startEnvironment } from './build-freshness.mjs';

const env = startEnvironment(process.env);
const decision = checkBuild(process.cwd(), env);
if (decision.action === 'refuse') {
  console.error(
    `dropscope: not starting: ${decision.reason}.\n` +
      `Run \`npm run build\` (${BUILD_TAKES}), or unset DROPSCOPE_NO_AUTOBUILD to let npm start build it.`,
  );
  process.exit(1);
}
if (decision.action === 'build') {
  console.error(`dropscope: building, because ${decision.reason} (${BUILD_TAKES}; set DROPSCOPE_NO_AUTOBUILD=1 to refuse instead)...`);
  const r = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
Object.assign(process.env, env);
await import('../dist/server.mjs');
