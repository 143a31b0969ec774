// `npm start`: build once if there is no build yet, then run the production server in
// this same process (no wrapper between the server and its signals).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const built = existsSync('.next/BUILD_ID') && existsSync('dist/server.mjs');
if (!built) {
  console.error('dropscope: no build yet, building (about a minute, once)...');
  const r = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
process.env.NODE_ENV = 'production';
await import('../dist/server.mjs');
