/**
 * Hostile targets: an mTLS server (client certificate required, as a STRICT sidecar) that misbehaves
 * after the handshake in one chosen way. The simulated mesh hands a faulty workload's connections to
 * one of these; the probe tests listen on them directly.
 *
 * - `endless`: a 200 whose close-delimited body never ends, as fast as the socket drains
 * - `endless-gzip`: the same, gzip-compressed (an inflater that never reaches the end)
 * - `trickle-body`: a 200 whose body comes a line every 200 ms, forever
 * - `garbage`: bytes that are not HTTP
 * - `reset-mid-body`: half a body, then a TCP reset
 * - `goaway`: HTTP/2 GOAWAY PROTOCOL_ERROR right after the handshake, before any answer
 * - `goaway-graceful`: HTTP/2 GOAWAY NO_ERROR before the first answer, then normal service
 * - `huge-headers`: a 200 with 1 MiB of response headers (HTTP/1.1 and HTTP/2)
 * - `huge-chain`: a 200 from a server whose certificate chain carries EXTRA_CHAIN_CERTS extra certificates
 * - `large-page`: an honest 200 of `LARGE_PAGE_BYTES` of samples (a kube-state-metrics page)
 */
import http2, { constants as h2 } from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';
import { createGzip } from 'node:zlib';

export const TARGET_FAULTS = ['endless', 'endless-gzip', 'trickle-body', 'garbage', 'reset-mid-body', 'goaway', 'goaway-graceful', 'huge-headers', 'huge-chain', 'large-page'] as const;
export type TargetFault = (typeof TARGET_FAULTS)[number];

export const HUGE_HEADER_BYTES = 1 << 20;
export const LARGE_PAGE_BYTES = 50 * 1000 * 1000;
/** Copies of the root padding a `huge-chain` (~800 bytes each): ~200 KB, under Go's 256 KiB certificate message, over OpenSSL's 100 KiB. */
export const EXTRA_CHAIN_CERTS = 250;
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const SAMPLE_LINE = 'kube_pod_status_phase{namespace="default",pod="web-0123456789-abcde",uid="0f1e2d3c",phase="Running"} 1\n';

export interface FaultTls {
  keyPem: string;
  chainPem: string;
  /** the root client certificates must chain to */
  caPem: string;
}

/** `n` lines of samples, numbered so that each is distinct. */
function sampleBlock(n: number, from = 0): Buffer {
  let text = '';
  for (let i = 0; i < n; i++) text += SAMPLE_LINE.replace('} 1', `,i="${from + i}"} 1`);
  return Buffer.from(text);
}

/** Writes `next()` as fast as the stream drains, until it returns undefined or the stream closes. */
function pump(out: NodeJS.WritableStream & { destroyed?: boolean }, next: () => Buffer | undefined, end: () => void): void {
  const step = (): void => {
    for (;;) {
      if (out.destroyed) return;
      const chunk = next();
      if (!chunk) return end();
      if (!out.write(chunk)) return void out.once('drain', step);
    }
  };
  step();
}

/** The TLS options of the faulty server; `huge-chain` pads the chain with copies of its root. */
function serverOptions(fault: TargetFault, material: FaultTls, extraChainCerts: number): tls.TlsOptions {
  const cert = fault === 'huge-chain' ? material.chainPem + material.caPem.repeat(extraChainCerts) : material.chainPem;
  return { key: material.keyPem, cert, ca: material.caPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: fault.startsWith('goaway') || fault === 'huge-headers' ? ['h2', 'http/1.1'] : ['http/1.1'] };
}

/** One HTTP/1.1 exchange on a TLS socket, raw, so that the misbehaviour is exactly as written. */
function http1Fault(fault: TargetFault, socket: tls.TLSSocket): void {
  const head = (extra = '') => `HTTP/1.1 200 OK\r\ncontent-type: ${METRICS_TYPE}\r\n${extra}\r\n`;
  socket.on('error', () => undefined);
  switch (fault) {
    case 'endless': {
      socket.write(head());
      const block = sampleBlock(500);
      return pump(socket, () => block, () => undefined);
    }
    case 'endless-gzip': {
      socket.write(head('content-encoding: gzip\r\n'));
      const gzip = createGzip();
      gzip.pipe(socket);
      const block = sampleBlock(500);
      return pump(gzip, () => block, () => undefined);
    }
    case 'trickle-body': {
      socket.write(head());
      let i = 0;
      const timer = setInterval(() => socket.write(sampleBlock(1, i++)), 200);
      socket.once('close', () => clearInterval(timer));
      return;
    }
    case 'garbage':
      return void socket.end(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)));
    case 'reset-mid-body': {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${METRICS_TYPE}\r\ncontent-length: 100000\r\n\r\n`);
      socket.write(sampleBlock(10));
      return void setTimeout(() => socket.destroy(), 50);
    }
    case 'huge-headers':
      return void socket.end(`HTTP/1.1 200 OK\r\ncontent-type: ${METRICS_TYPE}\r\nx-padding: ${'a'.repeat(HUGE_HEADER_BYTES)}\r\ncontent-length: 6\r\n\r\nup 1\n\n`);
    case 'large-page': {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${METRICS_TYPE}\r\ncontent-length: ${largePageLength()}\r\n\r\n`);
      let sent = 0;
      const block = sampleBlock(1000);
      const blocks = Math.floor(LARGE_PAGE_BYTES / block.length);
      return pump(socket, () => (sent++ < blocks ? block : undefined), () => socket.end());
    }
    default:
      return void socket.end(head('content-length: 5\r\n') + 'up 1\n');
  }
}

function largePageLength(): number {
  const block = sampleBlock(1000).length;
  return Math.floor(LARGE_PAGE_BYTES / block) * block;
}

/** HTTP/2 faults: GOAWAYs and huge headers; other faults answer normally over h2. */
function http2Fault(fault: TargetFault, socket: tls.TLSSocket, h2Server: http2.Http2SecureServer): void {
  if (fault === 'goaway') {
    h2Server.once('session', (session) => {
      session.on('error', () => undefined);
      session.goaway(h2.NGHTTP2_PROTOCOL_ERROR, 0);
      setTimeout(() => session.destroy(), 50);
    });
  }
  h2Server.emit('secureConnection', socket);
}

/**
 * An mTLS server with the fault. `goaway-graceful` refuses only the first connection it gets
 * (a server shutting down, replaced by a fresh one).
 */
export function faultServer(fault: TargetFault, material: FaultTls, options: { extraChainCerts?: number } = {}): tls.Server {
  const extra = options.extraChainCerts ?? EXTRA_CHAIN_CERTS;
  let refusedOnce = false;
  const h2Server = http2.createSecureServer({ ...serverOptions(fault, material, extra), maxHeaderListPairs: 1 << 16, maxSendHeaderBlockLength: 2 * HUGE_HEADER_BYTES } as http2.SecureServerOptions, (req, res) => {
    res.stream.on('error', () => undefined);
    if (fault === 'huge-headers') {
      // 1 MiB in 64 fields of 16 KiB (nghttp2 takes no field over 64 KiB)
      const padding = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`x-padding-${i}`, 'a'.repeat((HUGE_HEADER_BYTES >> 6) - 32)]));
      res.writeHead(200, { 'content-type': METRICS_TYPE, ...padding });
      return void res.end('up 1\n');
    }
    res.writeHead(200, { 'content-type': METRICS_TYPE });
    res.end('up 1\n');
  });
  h2Server.on('sessionError', () => undefined);
  const server = tls.createServer(serverOptions(fault, material, extra), (socket) => {
    if (socket.alpnProtocol === 'h2') {
      if (fault === 'goaway-graceful' && !refusedOnce) {
        refusedOnce = true;
        h2Server.once('session', (session) => {
          session.on('error', () => undefined);
          session.goaway(h2.NGHTTP2_NO_ERROR, 0);
          setTimeout(() => session.destroy(), 50);
        });
      }
      return http2Fault(fault, socket, h2Server);
    }
    socket.once('data', () => http1Fault(fault, socket));
  });
  server.on('tlsClientError', () => undefined);
  return server;
}

/** Hands an accepted (not yet TLS) connection to the fault's server, with the bytes already read. */
export function handOver(server: tls.Server, socket: net.Socket, first: Buffer): void {
  socket.unshift(first);
  server.emit('connection', socket);
}
