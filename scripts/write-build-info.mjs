// `npm run build:server` ends here: record what this build was made from in
// dist/BUILD_INFO.json, which `npm start` and `npm run dropscope` compare with the checkout
// (scripts/build-freshness.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_INFO, currentBuildInfo } from './build-freshness.mjs';

const root = process.cwd();
const info = currentBuildInfo(root);
mkdirSync(path.dirname(path.join(root, BUILD_INFO)), { recursive: true });
writeFileSync(path.join(root, BUILD_INFO), JSON.stringify({ ...info, builtAt: new Date().toISOString() }, null, 2) + '\n');
