/**
 * The last guard for key material: whatever a check or a library puts into a message or evidence,
 * PEM blocks never reach a report. (Checks are written not to include them; this makes it certain.)
 */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(-----END \1-----|$)/g;

function redactText(text: string): string {
  return text.replace(PEM_BLOCK, (_m, label: string) => `[${label.trim().toLowerCase()} redacted]`);
}

export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return '[binary redacted]' as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
