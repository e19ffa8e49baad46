/**
 * The kubeconfig of a simulated mesh: one cluster, a bearer-token user (the default context) and a
 * client-certificate user (context `sim-cert`). Written with mode 0600, as kubectl writes its own.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KeyPair } from './ca.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

export function writeKubeconfig(path: string, options: { server: string; caPem: string; token: string; certUser: KeyPair; namespace?: string }): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'sim',
    preferences: {},
    clusters: [{ name: 'sim', cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) } }],
    users: [
      { name: 'sim-token', user: { token: options.token } },
      { name: 'sim-cert', user: { 'client-certificate-data': b64(options.certUser.certPem), 'client-key-data': b64(options.certUser.keyPem) } },
    ],
    contexts: [
      { name: 'sim', context: { cluster: 'sim', user: 'sim-token', namespace: options.namespace ?? 'default' } },
      { name: 'sim-cert', context: { cluster: 'sim', user: 'sim-cert', namespace: options.namespace ?? 'default' } },
    ],
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
