/**
 * Exec over WebSocket, as kube-apiserver 1.30+ serves it to kubectl and client-node: subprotocol
 * `v5.channel.k8s.io` (else `v4.channel.k8s.io`), binary frames of one channel byte and a payload
 * (0 stdin, 1 stdout, 2 stderr, 3 the status JSON, 4 resize, 255 v5 close-of-stdin from the client).
 * The server never sends a channel-255 frame: client-node 1.4 crashes on it. A bad container name
 * is an HTTP 400 before the upgrade, as the kubelet answers.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { rejectUpgrade, type ResourceRequest } from './api-server.js';
import type { ClusterState } from './cluster.js';
import { CommandNotFound, runCommand } from './commands.js';
import type { PodFilesystems } from './filesystem.js';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const EXEC_TIMEOUT_MS = 30_000;
const enum Channel { Stdin = 0, Stdout = 1, Stderr = 2, Status = 3, Close = 255 }

export class ExecService {
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false });
  private readonly open = new Set<WebSocket>();
  /** execs cut so far (the execCut fault) */
  private cuts = 0;

  constructor(private readonly state: ClusterState, private readonly filesystems: PodFilesystems, private readonly scratchDir: string) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ResourceRequest, url: URL): void {
    const sim = this.state.podByName(target.namespace, target.name!);
    if (!sim) return rejectUpgrade(socket, 404, 'NotFound', `pods "${target.name}" not found`, { name: target.name, kind: 'pods' });
    const containers = [...(sim.pod.spec?.containers ?? []), ...(sim.pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')].map((c) => c.name!);
    const requested = url.searchParams.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
    if (!requested) return rejectUpgrade(socket, 400, 'BadRequest', `a container name must be specified for pod ${target.name}, choose one of: [${containers.join(' ')}]`);
    const view = this.filesystems.view(sim, requested);
    if (!view) return rejectUpgrade(socket, 400, 'BadRequest', `container ${requested} is not valid for pod ${target.name}`);
    const argv = url.searchParams.getAll('command');
    if (!argv.length) return rejectUpgrade(socket, 400, 'BadRequest', 'you must specify at least one command for the container');
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!PROTOCOLS.some((p) => offered.includes(p))) return rejectUpgrade(socket, 400, 'BadRequest', `unable to upgrade: no supported subprotocol among [${offered.join(' ')}]`);
    const wantsStdin = /^(true|1)$/.test(url.searchParams.get('stdin') ?? '');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.open.add(ws);
      ws.on('close', () => this.open.delete(ws));
      ws.on('error', () => ws.terminate());
      void this.run(ws, argv, view, wantsStdin, `${target.name}/${requested}`);
    });
  }

  private async run(ws: WebSocket, argv: string[], view: NonNullable<ReturnType<PodFilesystems['view']>>, wantsStdin: boolean, where: string): Promise<void> {
    const send = (channel: Channel, payload: Buffer | string) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(payload)]));
    };
    const timer = setTimeout(() => ws.terminate(), EXEC_TIMEOUT_MS + 5_000);
    let status: object;
    try {
      const outcome = await runCommand({ view, scratchDir: this.scratchDir, stdin: wantsStdin ? stdinOf(ws) : undefined, timeoutMs: EXEC_TIMEOUT_MS }, argv);
      const cut = this.state.scenario.faults.execCut;
      if (cut === true || (typeof cut === 'number' && this.cuts++ < cut)) {
        // the connection drops halfway through the output: no status, no close handshake
        send(Channel.Stdout, outcome.stdout.subarray(0, outcome.stdout.length >> 1));
        clearTimeout(timer);
        return void setTimeout(() => ws.terminate(), 20);
      }
      if (outcome.stdout.length) send(Channel.Stdout, outcome.stdout);
      if (outcome.stderr) send(Channel.Stderr, outcome.stderr);
      status = outcome.exitCode === 0
        ? { metadata: {}, status: 'Success' }
        : {
          metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
          message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${outcome.exitCode}`,
          details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
        };
    } catch (error) {
      const message = error instanceof CommandNotFound
        ? `error executing command in container: failed to exec in container: failed to start exec in ${where}: OCI runtime exec failed: exec failed: unable to start container process: exec: "${error.message}": executable file not found in $PATH: unknown`
        : `error executing command in container: ${(error as Error).message}`;
      status = { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
    }
    send(Channel.Status, JSON.stringify(status));
    clearTimeout(timer);
    ws.close(1000);
  }

  stop(): void {
    for (const ws of this.open) ws.terminate();
    this.wss.close();
  }
}

/**
 * The stdin channel as a stream of chunks, ending at the v5 close signal or when the socket closes.
 * It listens from the moment it is called: clients send stdin right after the upgrade, before the
 * command has started.
 */
function stdinOf(ws: WebSocket): AsyncIterable<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const onMessage = (data: Buffer) => {
    const frame = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (frame[0] === Channel.Stdin) queue.push(frame.subarray(1));
    else if (frame[0] === Channel.Close && frame[1] === Channel.Stdin) ended = true;
    wake?.();
  };
  const onClose = () => {
    ended = true;
    wake?.();
  };
  ws.on('message', onMessage);
  ws.on('close', onClose);
  return (async function* () {
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      ws.off('message', onMessage);
      ws.off('close', onClose);
    }
  })();
}
