// Loaded with `node --import` before the CLI: records on stderr every attempt to leave the process
// (TCP/TLS/HTTP through net.Socket, DNS, UDP) and refuses it. test/offline-no-socket.test.ts.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

const refuse = (owner, name, label) => {
  owner[name] = function (...args) {
    process.stderr.write(`asm-prom-test: ${label} ${JSON.stringify(args[0]) ?? ''}\n`);
    throw new Error(`offline test: ${label} refused`);
  };
};
refuse(net.Socket.prototype, 'connect', 'net.Socket.connect');
refuse(dns, 'lookup', 'dns.lookup');
refuse(dns, 'resolve', 'dns.resolve');
refuse(dns.promises, 'lookup', 'dns.promises.lookup');
refuse(dgram.Socket.prototype, 'send', 'dgram.send');
