/**
 * Live access to the cluster beyond listing objects, for the modules that need it: exec of read-only
 * commands in a container (certificate files, `--probe pod`) and GETs through the API server's proxy
 * (Prometheus's HTTP API). The cluster source provides it as the `kube` resource.
 */
export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  /** null when the command could not be started or the stream broke */
  exitCode: number | null;
}

export interface ProxyResponse {
  status: number;
  body: string;
  /** the body as received, when the transport kept it: a large answer is read from it without ever being one string */
  bytes?: Uint8Array;
}

export interface KubeAccess {
  /** the API server's URL, for messages */
  server: string;
  /** runs argv (never through a shell) in a container; read-only commands only (CONTRACT.md) */
  exec(namespace: string, pod: string, container: string, argv: readonly string[], options?: { timeoutMs?: number; stdin?: string }): Promise<ExecResult>;
  /** GET /api/v1/namespaces/{ns}/services/{service}:{port}/proxy{path} (or pods/{pod}:{port}/proxy) */
  proxyGet(target: { namespace: string; service?: string; pod?: string; port: string | number }, path: string, options?: { timeoutMs?: number }): Promise<ProxyResponse>;
}

declare module './inventory.js' {
  interface ResourceMap {
    kube: KubeAccess;
  }
}
