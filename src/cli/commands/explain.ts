/**
 * `asm-prom explain`, two ways:
 * - `explain CODE` prints that code's section of docs/checks.md from the installed package, as
 *   `rustc --explain` does (also for the kebab-case anchor, `key-mismatch`);
 * - `explain "<lastError>"`: the codes that cause a Prometheus target error text, most likely
 *   first. Exits 0 whether or not a cause is known (CONTRACT.md); an unknown text says so honestly.
 * A code-shaped word that is no code and no known error text is a usage error that names the code
 * it most resembles.
 */
import { readFileSync } from 'node:fs';
import { Chalk } from 'chalk';
import { ALL_CODES, CODES, docsAnchor, type Code } from '../../core/codes.js';
import { UsageError } from '../../core/errors.js';
import { CHECKS_DOC_PATH, docsSection, docsUrl } from '../../docs.js';
import { editDistance } from '../../model/monitor-schema.js';
import { classifyLastError } from '../../probes/classify.js';
import { useColor, writeOut } from '../output.js';

const CODE_SHAPED = /^[A-Za-z][A-Za-z0-9]*([_-][A-Za-z0-9]+)+$/;

/** The code a word names: `KEY_MISMATCH`, `key_mismatch` or the anchor `key-mismatch`. */
export function codeNamed(word: string): Code | undefined {
  const upper = word.trim().toUpperCase().replaceAll('-', '_');
  return (ALL_CODES as readonly string[]).includes(upper) ? (upper as Code) : undefined;
}

export async function explainCommand(argv: { text: string; output: string }): Promise<number> {
  const code = codeNamed(argv.text);
  if (code) return explainCode(code, argv.output);
  const causes = classifyLastError(argv.text);
  if (!causes.length && CODE_SHAPED.test(argv.text.trim())) {
    const upper = argv.text.trim().toUpperCase().replaceAll('-', '_');
    const [meant] = ALL_CODES.map((c) => [c, editDistance(c, upper)] as const).filter(([, d]) => d <= 3).sort((a, b) => a[1] - b[1]).map(([c]) => c);
    throw new UsageError(`${argv.text.trim()} is not an asm-prom finding code${meant ? ` (did you mean ${meant}?)` : ''}: \`asm-prom checks\` lists them`);
  }
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
      lines.push(`  ${i + 1}. ${c.yellow(code)}  ${why}`, `     ${c.dim(`asm-prom explain ${code}`)}`);
    });
  }
  await writeOut(`${lines.join('\n')}\n`);
  return 0;
}

/** The code's section of the installed docs/checks.md, as written (markdown reads well as text). */
async function explainCode(code: Code, output: string): Promise<number> {
  let markdown: string;
  try {
    markdown = readFileSync(CHECKS_DOC_PATH, 'utf8');
  } catch (error) {
    throw new Error(`the documentation is not installed beside asm-prom (${CHECKS_DOC_PATH}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const anchor = docsAnchor(code);
  const section = docsSection(markdown, anchor.split('#')[1]!);
  if (!section) throw new Error(`docs/checks.md has no section for ${code} (#${anchor.split('#')[1]})`);
  const url = docsUrl(anchor);
  if (output === 'json') {
    const { severity, category } = CODES[code];
    await writeOut(`${JSON.stringify({ code, severity, category, docs: anchor, ...(url ? { docsUrl: url } : {}), markdown: section }, null, 2)}\n`);
    return 0;
  }
  await writeOut(`${section}\n${url ? `\n${url}\n` : ''}`);
  return 0;
}
