/** mTLS mode resolution (istiod's ComposePeerAuthentication) on Istio's own PeerAuthentication test data, and sidecar presence. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, PeerAuthentication, PodTemplate } from '../src/model/k8s.js';
import {
  inboundCaptured, istioPortProtocol, isIstioHttpPort, mtlsModeFor, mtlsModeOrUnknown, resolveMtlsMode, sidecarVerdict,
} from '../src/model/mtls.js';
import { upstream as vendored } from './helpers/fixtures.js';

function upstream(path: string, namespace?: string): PeerAuthentication[] {
  const policies = parseAllDocuments(readFileSync(vendored(`istio/${path}`), 'utf8')).map((d) => d.toJS() as PeerAuthentication | null);
  // Upstream files may end with `---`: an empty document.
  return policies.filter((pa): pa is PeerAuthentication => pa !== null).map((pa) => (namespace ? { ...pa, metadata: { ...pa.metadata, namespace } } : pa));
}
const pa = (name: string, namespace: string, spec: PeerAuthentication['spec'], creationTimestamp?: string): PeerAuthentication =>
  ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, ...(creationTimestamp ? { creationTimestamp } : {}) }, spec });

const mesh = (mode: string) => pa('default', 'istio-system', { mtls: { mode } });
const app = { app: 'a' };

describe('mtlsModeFor', () => {
  const strictAndPermissivePort = upstream('pilot/pkg/serviceregistry/ambient/testdata/peer-authn-strict-and-permissive-port-mtls-in.yaml');
  const permissiveAndStrictPort = upstream('pilot/pkg/serviceregistry/ambient/testdata/peer-authn-permissive-port-mtls-strict-in.yaml');
  const testnsStrict = upstream('tests/testdata/config/peer-authn-strict.yaml');
  const defaultPermissive = upstream('tests/testdata/config/authn.yaml');

  it.each<[string, PeerAuthentication[], string, Record<string, string>, number | undefined, string]>([
    ['no policy: PERMISSIVE', [], 'default', app, 8080, 'PERMISSIVE'],
    ['mesh-wide STRICT', [mesh('STRICT')], 'apps', app, 8080, 'STRICT'],
    ['a selector-less policy outside the root namespace is not mesh-wide', testnsStrict, 'default', app, 8080, 'PERMISSIVE'],
    ['namespace-wide STRICT (upstream testns)', testnsStrict, 'testns', app, 8080, 'STRICT'],
    ['namespace PERMISSIVE overrides mesh STRICT (upstream authn.yaml)', [mesh('STRICT'), ...defaultPermissive], 'default', app, 8080, 'PERMISSIVE'],
    ['namespace UNSET inherits the mesh', [mesh('STRICT'), pa('default', 'apps', { mtls: { mode: 'UNSET' } })], 'apps', app, 8080, 'STRICT'],
    ['workload STRICT, port 9090 PERMISSIVE (upstream): other port', strictAndPermissivePort, 'default', app, 8080, 'STRICT'],
    ['workload STRICT, port 9090 PERMISSIVE (upstream): that port', strictAndPermissivePort, 'default', app, 9090, 'PERMISSIVE'],
    ['workload PERMISSIVE, port 9090 STRICT (upstream): that port', permissiveAndStrictPort, 'default', app, 9090, 'STRICT'],
    ['workload PERMISSIVE, port 9090 STRICT (upstream): other port', permissiveAndStrictPort, 'default', app, 8080, 'PERMISSIVE'],
    ['a workload policy for other pods does not apply', [mesh('STRICT'), ...strictAndPermissivePort], 'default', { app: 'b' }, 9090, 'STRICT'],
    ['a workload policy in another namespace does not apply', strictAndPermissivePort, 'apps', app, 9090, 'PERMISSIVE'],
    ['workload UNSET inherits the namespace; port UNSET inherits that', [pa('ns', 'apps', { mtls: { mode: 'DISABLE' } }), pa('w', 'apps', { selector: { matchLabels: app }, portLevelMtls: { '9090': { mode: 'UNSET' } } })], 'apps', app, 9090, 'DISABLE'],
    ['workload policies in the root namespace are ignored', [pa('w', 'istio-system', { selector: { matchLabels: app }, mtls: { mode: 'DISABLE' } })], 'istio-system', app, 80, 'PERMISSIVE'],
    ['an empty selector is namespace-wide (upstream partial-selector)', [mesh('STRICT'), pa('p', 'apps', { selector: {}, mtls: { mode: 'DISABLE' } })], 'apps', { other: 'x' }, 80, 'DISABLE'],
  ])('%s', (_name, policies, namespace, labels, port, expected) => {
    expect(mtlsModeFor(policies, 'istio-system', namespace, labels, port)).toBe(expected);
  });

  it('keeps the oldest policy of a scope, as istiod does', () => {
    const policies = [
      pa('newer', 'apps', { mtls: { mode: 'DISABLE' } }, '2026-02-01T00:00:00Z'),
      pa('older', 'apps', { mtls: { mode: 'STRICT' } }, '2025-01-01T00:00:00Z'),
    ];
    expect(resolveMtlsMode(policies, 'istio-system', 'apps', app)).toEqual({ mode: 'STRICT', source: 'PeerAuthentication apps/older (namespace-wide)' });
  });

  it('honours another root namespace', () => {
    expect(mtlsModeFor([pa('default', 'asm-system', { mtls: { mode: 'STRICT' } })], 'asm-system', 'apps', app)).toBe('STRICT');
  });

  it('names the policy that decided', () => {
    expect(resolveMtlsMode(strictAndPermissivePort, 'istio-system', 'default', app, 9090).source)
      .toBe('PeerAuthentication default/strict-and-permissive-mtls (port 9090)');
  });

  it("is 'unknown' when the policies are unknown, Istio's default when there are none", () => {
    expect(mtlsModeOrUnknown(undefined, 'istio-system', 'apps', app, 80)).toBe('unknown');
    expect(mtlsModeOrUnknown([], 'istio-system', 'apps', app, 80)).toBe('PERMISSIVE');
  });

  it("ignores the modes Istio's validation refuses (upstream peerauth-invalid: BLAH)", () => {
    const invalid = upstream('pkg/config/validation/testdata/crds/peerauth-invalid.yaml', 'apps');
    expect(mtlsModeFor([mesh('STRICT'), invalid[0]!], 'istio-system', 'apps', app)).toBe('STRICT');
  });
});

describe('sidecarVerdict', () => {
  const ns = (labels: Record<string, string>): KubeObject => ({ kind: 'Namespace', metadata: { name: 'apps', labels } });
  const deployment: KubeObject = { kind: 'Deployment', metadata: { name: 'web', namespace: 'apps' } };
  const template = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}, extra: Partial<PodTemplate['spec']> = {}): PodTemplate =>
    ({ metadata: { labels, annotations }, spec: { containers: [{ name: 'web' }], ...extra } });

  it.each<[string, KubeObject, PodTemplate, KubeObject | undefined, boolean | 'unknown']>([
    ['namespace injection enabled', deployment, template(), ns({ 'istio-injection': 'enabled' }), true],
    ['revision label', deployment, template(), ns({ 'istio.io/rev': 'asm-1-22' }), true],
    ['pod opts out by label', deployment, template({ 'sidecar.istio.io/inject': 'false' }), ns({ 'istio-injection': 'enabled' }), false],
    ['pod opts out by annotation', deployment, template({}, { 'sidecar.istio.io/inject': 'false' }), ns({ 'istio-injection': 'enabled' }), false],
    ['namespace disabled beats a pod label', deployment, template({ 'sidecar.istio.io/inject': 'true' }), ns({ 'istio-injection': 'disabled' }), false],
    ['pod label in an unlabelled namespace', deployment, template({ 'sidecar.istio.io/inject': 'true' }), ns({}), true],
    ['annotation alone does not inject', deployment, template({}, { 'sidecar.istio.io/inject': 'true' }), ns({}), false],
    ['hostNetwork', deployment, template({}, {}, { hostNetwork: true }), ns({ 'istio-injection': 'enabled' }), false],
    ['unknown namespace', deployment, template(), undefined, 'unknown'],
    ['unknown namespace, pod asks by label', deployment, template({ 'sidecar.istio.io/inject': 'true' }), undefined, true],
    ['a live pod without istio-proxy', { kind: 'Pod', metadata: { name: 'web-1', namespace: 'apps', uid: 'u' } }, template(), ns({ 'istio-injection': 'enabled' }), false],
    ['a pod with istio-proxy (native sidecar)', deployment, template({}, {}, { initContainers: [{ name: 'istio-proxy', restartPolicy: 'Always' }] }), undefined, true],
  ])('%s', (_name, object, podTemplate, namespace, expected) => {
    expect(sidecarVerdict(object, podTemplate, namespace).sidecar).toBe(expected);
  });
});

describe('inboundCaptured', () => {
  const withAnnotations = (annotations: Record<string, string>): PodTemplate => ({ metadata: { annotations }, spec: {} });
  it.each<[Record<string, string>, number, boolean]>([
    [{}, 8080, true],
    [{}, 15020, false],
    [{ 'traffic.sidecar.istio.io/includeInboundPorts': '' }, 8080, false],
    [{ 'traffic.sidecar.istio.io/includeInboundPorts': '*' }, 8080, true],
    [{ 'traffic.sidecar.istio.io/includeInboundPorts': '80,8080' }, 8080, true],
    [{ 'traffic.sidecar.istio.io/includeInboundPorts': '80' }, 8080, false],
    [{ 'traffic.sidecar.istio.io/excludeInboundPorts': '9090, 8080' }, 8080, false],
  ])('%j, port %d → %s', (annotations, port, expected) => expect(inboundCaptured(withAnnotations(annotations), port)).toBe(expected));
});

describe("Istio's port protocol selection", () => {
  it.each<[Parameters<typeof istioPortProtocol>[0], string, boolean]>([
    [{ name: 'http' }, 'HTTP', true],
    [{ name: 'http-metrics' }, 'HTTP', true],
    [{ name: 'HTTP2-x' }, 'HTTP2', true],
    [{ name: 'grpc' }, 'GRPC', true],
    [{ name: 'grpc-web-x' }, 'GRPC-Web', true],
    [{ name: 'https' }, 'HTTPS', false],
    [{ name: 'tcp-metrics' }, 'TCP', false],
    [{ name: 'metrics' }, 'auto', false],
    [{ name: 'httpx' }, 'auto', false],
    [{}, 'auto', false],
    [{ name: 'tcp', appProtocol: 'http' }, 'HTTP', true],
    [{ name: 'metrics', appProtocol: 'kubernetes.io/h2c' }, 'HTTP2', true],
    [{ name: 'metrics', appProtocol: 'kubernetes.io/wss' }, 'HTTPS', false],
    [{ name: 'http', protocol: 'UDP' }, 'UDP', false],
  ])('%j is %s', (port, protocol, http) => {
    expect(istioPortProtocol(port)).toBe(protocol);
    expect(isIstioHttpPort(port)).toBe(http);
  });
});
