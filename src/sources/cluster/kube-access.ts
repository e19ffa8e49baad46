/**
 * KubeAccess over the API server: exec of argv in a container (client-node's Exec over WebSocket)
 * and GETs through the service or pod proxy. Both share the client's timeouts, deadline and
 * concurrency slots.
 *
 * client-node 1.4's Exec has pitfalls this module absorbs (research/platform-notes.md): its promise
 * resolves when the socket opens, so the end is the status frame or the socket's close; its own
 * WebSocketHandler sets no handshake timeout and crashes on a v5 CLOSE frame, so Exec gets the
 * socket below instead; a wrong container only says "Unexpected server response: 400".
 */
import { PassThrough, Writable } from 'node:stream';
import type { Exec, KubeConfig, V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import type { ExecResult, KubeAccess, ProxyResponse } from '../../model/kube-access.js';
import { ApiStatusError, type ApiClient } from './api.js';

type ClientNode = typeof import('@kubernetes/client-node');

/** The exit code a Status frame reports: 0 for Success, the ExitCode cause for NonZeroExitCode. */
function exitCodeOf(status: V1Status): number | null {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : null;
}

/** The HTTP status of a refused WebSocket upgrade ("Unexpected server response: 403"). */
function upgradeStatus(error: unknown): number | undefined {
  const m = /Unexpected server response: (\d{3})/.exec(error instanceof Error ? error.message : String(error));
  return m ? Number(m[1]) : undefined;
}

export function makeKubeAccess(k8s: ClientNode, client: ApiClient): KubeAccess {
  return {
    server: client.server,
    exec: (namespace, pod, container, argv, options = {}) =>
      client.withSlot(() => execOnce(k8s, client, { namespace, pod, container, argv, ...options })),
    async proxyGet(target, path, options = {}): Promise<ProxyResponse> {
      const endpoint = target.service
        ? `services/${encodeURIComponent(target.service)}:${target.port}`
        : `pods/${encodeURIComponent(target.pod ?? '')}:${target.port}`;
      const response = await client.getRaw(`/api/v1/namespaces/${encodeURIComponent(target.namespace)}/${endpoint}/proxy${path.startsWith('/') ? path : `/${path}`}`, { timeoutMs: options.timeoutMs, proxied: true });
      // the text only when asked for: Prometheus's targets answer is read from its bytes
      return { status: response.status, get body() { return response.body; }, bytes: response.bytes };
    },
  };
}

interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  argv: readonly string[];
  timeoutMs?: number;
  stdin?: string;
}

/** The most output of one exec kept: more than any certificate file or metrics page the doctor reads. */
const MAX_EXEC_OUTPUT_BYTES = 128 << 20;

async function execOnce(k8s: ClientNode, client: ApiClient, request: ExecRequest): Promise<ExecResult> {
  if (client.failure) throw client.failure;
  const timeoutMs = Math.min(request.timeoutMs ?? Infinity, client.stepTimeout());
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  // Output beyond MAX_EXEC_OUTPUT_BYTES is dropped (an endless body through `openssl s_client`): memory stays bounded.
  const collect = (into: Buffer[]) => {
    let kept = 0;
    return new Writable({
      write(chunk: Buffer, _enc, done) {
        if (kept < MAX_EXEC_OUTPUT_BYTES) into.push(chunk.subarray(0, MAX_EXEC_OUTPUT_BYTES - kept));
        kept += chunk.length;
        done();
      },
    });
  };
  // Empty stdin is no stdin: the command reads EOF at once, on every protocol version.
  const stdin = request.stdin ? new PassThrough() : null;
  const streams = { stdin, stdout: collect(stdout), stderr: collect(stderr) };
  const exec = new k8s.Exec(client.kubeConfig, channelSocket(client.kubeConfig, client.server, timeoutMs));

  return new Promise<ExecResult>((resolve, reject) => {
    let socket: WebSocket | undefined;
    let settled = false;
    const finish = (exitCode: number | null, note?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.terminate();
      const errText = Buffer.concat(stderr).toString('utf8');
      resolve({ stdout: Buffer.concat(stdout), stderr: note ? `${errText}${errText && !errText.endsWith('\n') ? '\n' : ''}${note}` : errText, exitCode });
    };
    const timer = setTimeout(() => finish(null, `the command did not finish within ${timeoutMs} ms`), timeoutMs);

    startExec(exec, request, streams, (status) => finish(exitCodeOf(status), status.status === 'Success' ? undefined : status.message))
      .then((ws) => {
        socket = ws;
        if (settled) return ws.terminate();
        ws.on('close', () => finish(null, 'the exec stream closed before the command reported its exit status'));
        if (stdin) writeStdin(stdin, request.stdin!, ws);
      })
      .catch((error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const status = upgradeStatus(error);
        if (status === 401) reject(client.markUnreachable('it refuses our credentials (401 Unauthorized)'));
        else if (status === 400) reject(new ApiStatusError(400, `exec in ${request.namespace}/${request.pod}: the API server refused it (400: no container "${request.container}", or the pod is not running)`));
        else if (status !== undefined) reject(new ApiStatusError(status, `exec in ${request.namespace}/${request.pod}: HTTP ${status}`));
        else reject(new Error(`exec in ${request.namespace}/${request.pod}: ${error instanceof Error ? error.message : String(error)}`));
      });
  });
}

function startExec(exec: Exec, request: ExecRequest, streams: { stdin: PassThrough | null; stdout: Writable; stderr: Writable }, onStatus: (status: V1Status) => void) {
  return exec.exec(request.namespace, request.pod, request.container, [...request.argv], streams.stdout, streams.stderr, streams.stdin, false, onStatus) as unknown as Promise<WebSocket>;
}

/**
 * Sends stdin. Only the v5 protocol can say "stdin ended" without closing the whole socket, so on
 * v4 the stream is left open (client-node would close the socket and lose the output); a command
 * that waits for EOF then ends by the exec's timeout.
 */
function writeStdin(stdin: PassThrough, text: string, ws: WebSocket): void {
  stdin.write(text);
  if (ws.protocol === 'v5.channel.k8s.io') stdin.end();
}

type SocketInterface = NonNullable<ConstructorParameters<typeof Exec>[1]>;

/** Channel protocols with an exit status, newest first (v5 adds the CLOSE frame for stdin). */
const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const CLOSE_CHANNEL = 255;

/**
 * The WebSocket under Exec: a handshake timeout, an error listener for the socket's whole life (an
 * unhandled 'error' would end the process), and v5 CLOSE frames ignored (the status frame ends the command).
 */
function channelSocket(kubeConfig: KubeConfig, server: string, timeoutMs: number): SocketInterface {
  return {
    async connect(path, _textHandler, binaryHandler) {
      const opts: WebSocket.ClientOptions = {};
      await kubeConfig.applyToHTTPSOptions(opts);
      const ws = new WebSocket(`${server.replace(/^http/, 'ws').replace(/\/$/, '')}${path}`, CHANNEL_PROTOCOLS, { ...opts, handshakeTimeout: timeoutMs });
      return new Promise((resolve, reject) => {
        ws.on('error', reject); // after 'open' this settles nothing: the 'close' that follows ends the exec
        ws.on('open', () => resolve(ws as never));
        ws.on('message', (data: Buffer) => {
          const channel = data[0];
          if (channel === undefined || channel === CLOSE_CHANNEL || !binaryHandler) return;
          let keepOpen: boolean;
          try {
            keepOpen = binaryHandler(channel, data.subarray(1));
          } catch {
            keepOpen = false; // a channel Exec does not know, or a status that is not JSON: end the exec, never the process
          }
          if (!keepOpen) ws.close();
        });
      });
    },
  };
}
