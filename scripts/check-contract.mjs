// The code catalogue (src/core/codes.ts, as built in dist/) against the design contract: the same
// codes with the same severities. The contract lives beside the repository, in the design folder of
// the workspace (../shared/design/CONTRACT.md by default), so this is a maintainer's check, not part
// of `npm test`. Usage: npm run check:contract [-- PATH/TO/CONTRACT.md]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const path = process.argv[2] ?? fileURLToPath(new URL('../../shared/design/CONTRACT.md', import.meta.url));
if (!existsSync(path)) {
  console.error(`check:contract: ${path} does not exist (give the contract's path as an argument)`);
  process.exit(2);
}
const contract = Object.fromEntries(
  [...readFileSync(path, 'utf8').matchAll(/^\| `([A-Z_]+)` \| (error|warning|info) \|/gm)].map((m) => [m[1], m[2]]),
);
const { CODES } = await import('../dist/index.js');
const ours = Object.fromEntries(Object.entries(CODES).map(([code, def]) => [code, def.severity]));

const problems = [
  ...Object.keys(contract).filter((c) => !(c in ours)).map((c) => `${c}: in the contract (${contract[c]}), not in the catalogue`),
  ...Object.keys(ours).filter((c) => !(c in contract)).map((c) => `${c}: in the catalogue (${ours[c]}), not in the contract`),
  ...Object.keys(ours).filter((c) => c in contract && contract[c] !== ours[c]).map((c) => `${c}: ${ours[c]} in the catalogue, ${contract[c]} in the contract`),
].sort();
if (problems.length) {
  console.error(`check:contract: the catalogue and ${path} disagree:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`check:contract: ${Object.keys(ours).length} codes, same severities as ${path}`);
