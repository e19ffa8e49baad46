// `npm run mutate [-- stryker flags]`: Stryker in its sandbox (.stryker-tmp/sandbox-*/). Fixtures and
// the contract test read ../shared beside the repository by relative path; the sandbox sits two levels
// deeper, so .stryker-tmp/shared points at the same folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const temp = join(root, '.stryker-tmp');
const shared = resolve(root, '..', 'shared');
mkdirSync(temp, { recursive: true });
if (existsSync(shared) && !existsSync(join(temp, 'shared'))) symlinkSync(shared, join(temp, 'shared'));
const run = spawnSync(process.execPath, [join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
