/**
 * `asm-prom explain "<lastError>"`: the codes that cause a Prometheus target error text, most likely
 * first. Exits 0 whether or not a cause is known (CONTRACT.md); an unknown text says so honestly.
 */
import { Chalk } from 'chalk';
import { docsAnchor } from '../../core/codes.js';
import { classifyLastError } from '../../probes/classify.js';
import { useColor, writeOut } from '../output.js';

export async function explainCommand(argv: { text: string; output: string }): Promise<number> {
  const causes = classifyLastError(argv.text);
  if (argv.output === 'json') {
    await writeOut(`${JSON.stringify({ input: argv.text, causes: causes.map(({ code, why }) => ({ code, why })) }, null, 2)}\n`);
    return 0;
  }
  const c = new Chalk({ level: useColor(process.stdout) ? 1 : 0 });
  const lines = [c.bold(`lastError: ${argv.text}`), ''];
  if (!causes.length) {
    lines.push(
      'No known cause: this text matches none of the failures asm-prom knows.',
      'Run `asm-prom doctor` against the Prometheus that reports it; its findings may still name the problem.',
    );
  } else {
    lines.push('Likely causes, most likely first:');
    causes.forEach(({ code, why }, i) => {
      lines.push(`  ${i + 1}. ${c.yellow(code)}  ${why}`, `     ${c.dim(docsAnchor(code))}`);
    });
  }
  await writeOut(`${lines.join('\n')}\n`);
  return 0;
}
