import { ALL_CHECKS } from '../../../checks/index.js';
import { CODES, docsAnchor } from '../../core/codes.js';
import { writeOut } from '../output.js';

/** `asm-prom checks`: every check with the codes it reports, their severities and docs anchors. */
export async function checksCommand(argv: { output: string }): Promise<number> {
  const checks = ALL_CHECKS.map((c) => ({
    id: c.id,
    title: c.title,
    category: c.category,
    needs: [...c.needs],
    codes: c.codes.map((code) => ({ code, severity: CODES[code].severity, docs: docsAnchor(code) })),
  }));
  if (argv.output === 'json') {
    await writeOut(`${JSON.stringify({ checks }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.id}  ${c.title}`);
    for (const code of c.codes) lines.push(`    ${code.code.padEnd(30)} ${code.severity.padEnd(8)} ${code.docs}`);
  }
  lines.push('', `runner: CHECK_CRASHED error ${docsAnchor('CHECK_CRASHED')}`);
  await writeOut(`${lines.join('\n')}\n`);
  return 0;
}
