/**
 * The read-only commands the doctor execs in a pod (CONTRACT.md: cat, ls, stat, id, test, and
 * `openssl s_client` for `--probe pod`), run against a container's simulated filesystem as the
 * container's user, with GNU coreutils' messages and exit codes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { canRead, type ContainerView, type FileEntry, type Lookup } from './filesystem.js';

export interface CommandResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

export interface CommandContext {
  view: ContainerView;
  /** a scratch folder for openssl's copies of the container's files */
  scratchDir: string;
  /** standard input, when the exec asked for it */
  stdin?: AsyncIterable<Buffer>;
  timeoutMs: number;
}

/** Thrown for a program the image does not have: the runtime's "executable file not found". */
export class CommandNotFound extends Error {}

const USER_NAMES: Record<number, string> = { 0: 'root', 65534: 'nobody' };
const GROUP_NAMES: Record<number, string> = { 0: 'root', 65534: 'nogroup' };
const userName = (uid: number) => USER_NAMES[uid] ?? String(uid);
const groupName = (gid: number) => GROUP_NAMES[gid] ?? String(gid);

const result = (stdout: string | Buffer, stderr = '', exitCode = 0): CommandResult => ({ stdout: Buffer.from(stdout), stderr, exitCode });

function modeString(l: Lookup): string {
  const mode = l.type === 'file' ? l.file.mode : l.dir.mode;
  const bits = 'rwxrwxrwx'.split('').map((ch, i) => ((mode >> (8 - i)) & 1 ? ch : '-')).join('');
  return (l.type === 'dir' ? 'd' : '-') + bits;
}

const meta = (l: Lookup): { mode: number; uid: number; gid: number; mtime: Date } => (l.type === 'file' ? l.file : l.dir);
const sizeOf = (l: Lookup) => (l.type === 'file' ? Buffer.byteLength(l.file.content) : 4096);

/** Splits `-abc` style flags from operands; `--` ends flags. */
function parseFlags(args: string[], allowed: string, command: string): { flags: Set<string>; operands: string[] } | CommandResult {
  const flags = new Set<string>();
  const operands: string[] = [];
  let done = false;
  for (const arg of args) {
    if (!done && arg === '--') done = true;
    else if (!done && arg.startsWith('-') && arg.length > 1) {
      for (const ch of arg.slice(1)) {
        if (!allowed.includes(ch)) return result('', `${command}: invalid option -- '${ch}'\nTry '${command} --help' for more information.\n`, command === 'ls' ? 2 : 1);
        flags.add(ch);
      }
    } else operands.push(arg);
  }
  return { flags, operands };
}

function cat(ctx: CommandContext, args: string[]): CommandResult {
  const parsed = parseFlags(args, '', 'cat');
  if (!('flags' in parsed)) return parsed;
  const out: Buffer[] = [];
  let stderr = '';
  for (const path of parsed.operands) {
    const l = ctx.view.lookup(path);
    if (!l) stderr += `cat: ${path}: No such file or directory\n`;
    else if (l.type === 'dir') stderr += `cat: ${path}: Is a directory\n`;
    else if (!canRead(ctx.view.identity(), l.file)) stderr += `cat: ${path}: Permission denied\n`;
    else out.push(Buffer.from(l.file.content));
  }
  return result(Buffer.concat(out), stderr, stderr ? 1 : 0);
}

function lsDate(d: Date): string {
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function ls(ctx: CommandContext, args: string[]): CommandResult {
  const parsed = parseFlags(args, 'lnaA1dL', 'ls');
  if (!('flags' in parsed)) return parsed;
  const { flags } = parsed;
  const long = flags.has('l') || flags.has('n');
  const numeric = flags.has('n');
  const operands = parsed.operands.length ? parsed.operands : ['.'];
  const line = (l: Lookup, name: string) => {
    if (!long) return name;
    const m = meta(l);
    return `${modeString(l)} 1 ${numeric ? m.uid : userName(m.uid)} ${numeric ? m.gid : groupName(m.gid)} ${sizeOf(l)} ${lsDate(m.mtime)} ${name}`;
  };
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  const files: string[] = [];
  const dirs: { operand: string; lookup: Extract<Lookup, { type: 'dir' }> }[] = [];
  for (const operand of operands) {
    const l = ctx.view.lookup(operand === '.' ? '/' : operand);
    if (!l) {
      stderr += `ls: cannot access '${operand}': No such file or directory\n`;
      exitCode = 2;
    } else if (l.type === 'file' || flags.has('d')) files.push(line(l, operand));
    else dirs.push({ operand, lookup: l });
  }
  stdout += files.map((f) => `${f}\n`).join('');
  dirs.forEach(({ operand, lookup }, i) => {
    if (!canRead(ctx.view.identity(), lookup.dir)) {
      stderr += `ls: cannot open directory '${operand}': Permission denied\n`;
      exitCode = 2;
      return;
    }
    if (operands.length > 1) stdout += `${files.length || i ? '\n' : ''}${operand}:\n`;
    const entries = lookup.names.map((name) => ({ name, l: ctx.view.lookup(posix.join(lookup.path, name))! }));
    if (long) stdout += `total ${entries.reduce((sum, e) => sum + Math.ceil(sizeOf(e.l) / 4096) * 4, 0)}\n`;
    if (flags.has('a')) stdout += `${line(lookup, '.')}\n${line(lookup, '..')}\n`;
    stdout += entries.map((e) => `${line(e.l, e.name)}\n`).join('');
  });
  return result(stdout, stderr, exitCode);
}

function statFormat(format: string, l: Lookup, operand: string): string {
  const m = meta(l);
  const fileType = l.type === 'dir' ? 'directory' : sizeOf(l) === 0 ? 'regular empty file' : 'regular file';
  const directives: Record<string, () => string> = {
    a: () => (m.mode & 0o7777).toString(8), A: () => modeString(l), u: () => String(m.uid), g: () => String(m.gid),
    U: () => USER_NAMES[m.uid] ?? 'UNKNOWN', G: () => GROUP_NAMES[m.gid] ?? 'UNKNOWN', s: () => String(sizeOf(l)), n: () => operand,
    N: () => `'${operand}'`, F: () => fileType, h: () => (l.type === 'dir' ? '2' : '1'), Y: () => String(Math.floor(m.mtime.getTime() / 1000)),
    y: () => m.mtime.toISOString().replace('T', ' ').replace(/\.(\d{3})Z$/, '.$1000000 +0000'), '%': () => '%',
  };
  return format.replace(/%(.)/g, (whole, d: string) => directives[d]?.() ?? whole);
}

function stat(ctx: CommandContext, args: string[]): CommandResult {
  let format: string | undefined;
  let printf = false;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-c' || arg === '--format') format = args[++i];
    else if (arg.startsWith('--format=')) format = arg.slice('--format='.length);
    else if (arg.startsWith('--printf=')) [format, printf] = [arg.slice('--printf='.length).replace(/\\n/g, '\n').replace(/\\t/g, '\t'), true];
    else if (arg === '-L' || arg === '--dereference') continue;
    else if (arg.startsWith('-') && arg !== '-') return result('', `stat: invalid option -- '${arg.slice(1)}'\nTry 'stat --help' for more information.\n`, 1);
    else operands.push(arg);
  }
  if (format === undefined && args.includes('-c')) return result('', "stat: option requires an argument -- 'c'\n", 1);
  if (!operands.length) return result('', 'stat: missing operand\nTry \'stat --help\' for more information.\n', 1);
  let stdout = '';
  let stderr = '';
  for (const operand of operands) {
    const l = ctx.view.lookup(operand);
    if (!l) {
      stderr += `stat: cannot statx '${operand}': No such file or directory\n`;
      continue;
    }
    const fmt = format ?? '  File: %n\n  Size: %s\tBlocks: 8\tIO Block: 4096   %F\nAccess: (0%a/%A)  Uid: (%u/%U)   Gid: (%g/%G)\nModify: %y';
    stdout += statFormat(fmt, l, operand) + (printf ? '' : '\n');
  }
  return result(stdout, stderr, stderr ? 1 : 0);
}

function id(ctx: CommandContext, args: string[]): CommandResult {
  const parsed = parseFlags(args, 'ugGnr', 'id');
  if (!('flags' in parsed)) return parsed;
  const { uid, gid, groups } = ctx.view.identity();
  const { flags } = parsed;
  const name = (n: number, names: Record<number, string>) => (flags.has('n') ? names[n] ?? String(n) : String(n));
  if (flags.has('u')) return result(`${name(uid, USER_NAMES)}\n`);
  if (flags.has('g')) return result(`${name(gid, GROUP_NAMES)}\n`);
  if (flags.has('G')) return result(`${groups.map((g) => name(g, GROUP_NAMES)).join(' ')}\n`);
  const named = (n: number, names: Record<number, string>) => (names[n] ? `${n}(${names[n]})` : String(n));
  return result(`uid=${named(uid, USER_NAMES)} gid=${named(gid, GROUP_NAMES)} groups=${groups.map((g) => named(g, GROUP_NAMES)).join(',')}\n`);
}

function test(ctx: CommandContext, args: string[]): CommandResult {
  if (args.length === 1) return result('', '', args[0] ? 0 : 1);
  if (args.length !== 2) return result('', `test: ${args[2] ?? 'missing argument'}: unexpected operator\n`, 2);
  const [op, path] = args;
  const l = ctx.view.lookup(path);
  const identity = ctx.view.identity();
  const checks: Record<string, () => boolean> = {
    '-e': () => !!l, '-f': () => l?.type === 'file', '-d': () => l?.type === 'dir',
    '-r': () => !!l && canRead(identity, meta(l)), '-s': () => !!l && sizeOf(l) > 0,
  };
  const check = checks[op];
  if (!check) return result('', `test: ${op}: unary operator expected\n`, 2);
  return result('', '', check() ? 0 : 1);
}

/** `openssl s_client` options that name files to read, with the word openssl uses for them. */
const OPENSSL_FILE_OPTIONS: Record<string, string> = {
  '-cert': 'client certificate', '-key': 'private key', '-CAfile': 'CA certificates', '-cert_chain': 'certificate chain',
  '-chainCAfile': 'chain CA certificates', '-verifyCAfile': 'verify CA certificates', '-pass': 'pass phrase',
};

/**
 * The real `openssl s_client`, with the container's files copied into a scratch folder first (as
 * the container's user could read them): a probe from inside the pod, made from this machine,
 * which reaches the simulated sidecars on their loopback addresses directly.
 */
async function opensslClient(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  if (args[0] !== 's_client') return result('', `Invalid command '${args[0] ?? ''}'; only s_client is available in this simulated image\n`, 1);
  const scratch = mkdtempSync(join(ctx.scratchDir, 'openssl-'));
  try {
    const mapped: string[] = [];
    for (let i = 1; i < args.length; i++) {
      const arg = args[i];
      mapped.push(arg);
      const what = OPENSSL_FILE_OPTIONS[arg];
      if (!what || i + 1 >= args.length || arg === '-pass') continue;
      const path = args[++i];
      const l = ctx.view.lookup(path);
      const reason = !l ? 'No such file or directory' : l.type === 'dir' ? 'Is a directory' : !canRead(ctx.view.identity(), l.file) ? 'Permission denied' : undefined;
      if (reason) return result('', `Could not open file or uri for loading ${what} from ${path}\nerror:80000002:system library:file_open:${reason}\n`, 1);
      const copy = join(scratch, path);
      mkdirSync(posix.dirname(copy), { recursive: true });
      writeFileSync(copy, (l as { file: FileEntry }).file.content, { mode: 0o600 });
      mapped.push(copy);
    }
    return await runProcess('openssl', ['s_client', ...mapped], ctx, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function runProcess(command: string, argv: string[], ctx: CommandContext, scratch: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), ctx.timeoutMs);
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(result('', `${command}: ${error.message}\n`, 127));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // the scratch copies' paths are this machine's, not the container's
      const text = Buffer.concat(stderr).toString('utf8').split(scratch).join('');
      resolve(result(Buffer.concat(stdout), text, code ?? (signal ? 137 : 1)));
    });
    void (async () => {
      if (ctx.stdin) for await (const chunk of ctx.stdin) child.stdin.write(chunk);
      child.stdin.end();
    })().catch(() => child.stdin.end());
  });
}

const COMMANDS: Record<string, (ctx: CommandContext, args: string[]) => CommandResult | Promise<CommandResult>> = {
  cat, ls, stat, id, test, openssl: opensslClient,
};

/** Runs argv (never through a shell); throws CommandNotFound for programs the simulation lacks. */
export async function runCommand(ctx: CommandContext, argv: readonly string[]): Promise<CommandResult> {
  const [program, ...args] = argv;
  const command = COMMANDS[posix.basename(program ?? '')];
  if (!command) throw new CommandNotFound(program ?? '');
  return command(ctx, args);
}
