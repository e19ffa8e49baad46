/** --target HOST:PORT[/PATH]: parsed here so that a malformed one is a usage error (exit 2). */
import { UsageError } from './errors.js';

export interface TargetSpec {
  host: string;
  port: number;
  path: string;
}

export function parseTargetSpec(text: string): TargetSpec {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})(\/[^\s]*)?$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`--target ${text}: expected HOST:PORT[/PATH], e.g. 10.0.0.7:9080/metrics`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port, path: m[3] ?? '/metrics' };
}
