/**
 * The lastError classifier over every wording recorded in the project's research notes (failure-modes.md and
 * platform-notes.md): each text must name the expected code first, and the others among its causes.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ALL_CODES } from '../src/core/codes.js';
import { classifyLastError, stripRequestPrefix } from '../src/probes/classify.js';

const CA = '/etc/prom-certs/root-cert.pem';
const CERT = '/etc/prom-certs/cert-chain.pem';
const KEY = '/etc/prom-certs/key.pem';

/** [text, first cause, other causes it must name] */
const WORDINGS: [string, string, string[]][] = [
  // Row 7: the pool cannot be built, files missing (every prometheus/common wording)
  [`unable to read CA cert: unable to read file ${CA}: open ${CA}: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE', 'CERTS_NOT_MOUNTED']],
  [`unable to read specified client cert: unable to read file ${CERT}: open ${CERT}: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  [`unable to load specified CA cert ${CA}: open ${CA}: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  [`unable to read specified client cert (${CERT}): open ${CERT}: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  [`unable to read specified client cert (${CERT}) & key (${KEY}): open ${KEY}: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  [`unable to use specified client cert (${CERT}) & key (${KEY}): open ${CERT}: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  [`error creating HTTP client: unable to read specified client cert (/tmp/x/nope.pem) & key (/tmp/x/nope-key.pem): open /tmp/x/nope.pem: no such file or directory`, 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  // Row 6: permissions
  [`unable to read CA cert: unable to read file ${CA}: open ${CA}: permission denied`, 'CERT_FILE_UNREADABLE', ['PROXY_VERSION_UNSUPPORTED']],
  [`unable to load specified CA cert ${CA}: open ${CA}: permission denied`, 'CERT_FILE_UNREADABLE', ['PROXY_VERSION_UNSUPPORTED']],
  // Row 8: empty, partial or mismatched files
  [`unable to use specified CA cert file ${CA}`, 'CERT_PARSE_ERROR', ['CERT_FILE_MISSING']],
  [`unable to use specified CA cert ${CA}`, 'CERT_PARSE_ERROR', ['CERT_FILE_MISSING']],
  [`unable to use specified client cert (file ${CERT}) & key (file ${KEY}): tls: private key does not match public key`, 'KEY_MISMATCH', []],
  [`unable to use specified client cert (${CERT}) & key (${KEY}): tls: failed to find any PEM data in certificate input`, 'CERT_PARSE_ERROR', ['CERT_FILE_MISSING']],
  ['tls: failed to find any PEM data in key input', 'CERT_PARSE_ERROR', []],
  // Rows 10-12: alerts from the target's sidecar
  ['Get "https://10.4.0.7:8080/metrics": remote error: tls: expired certificate', 'CERT_EXPIRED', ['CERT_NOT_ROTATED', 'CLIENT_CERT_REJECTED']],
  ['Get "https://10.4.0.7:8080/metrics": readLoopPeekFailLocked: remote error: tls: expired certificate', 'CERT_EXPIRED', ['CLIENT_CERT_REJECTED']],
  ['Get "https://10.4.0.7:8080/metrics": remote error: tls: unknown certificate authority', 'ROOT_MISMATCH', ['CHAIN_BROKEN', 'CLIENT_CERT_REJECTED']],
  ['Get "https://10.4.0.7:8080/metrics": remote error: tls: bad certificate', 'ROOT_MISMATCH', ['CERT_EXPIRED', 'CLIENT_CERT_REJECTED']],
  ['Get "https://10.4.0.7:8080/metrics": remote error: tls: certificate required', 'MONITOR_TLS_FILES_MISSING', ['CLIENT_CERT_REJECTED']],
  ['Get "https://10.4.0.7:8080/metrics": remote error: tls: handshake failure', 'MONITOR_TLS_FILES_MISSING', ['CLIENT_CERT_REJECTED']],
  ['remote error: tls: internal error', 'CLIENT_CERT_REJECTED', []],
  // Row 13: server verification left on
  ['Get "https://10.4.0.7:8080/metrics": tls: failed to verify certificate: x509: cannot validate certificate for 10.4.0.7 because it doesn\'t contain any IP SANs', 'MONITOR_VERIFY_SPIFFE', []],
  ['Get "https://127.0.0.1:43121/metrics": x509: cannot validate certificate for 127.0.0.1 because it doesn\'t contain any IP SANs', 'MONITOR_VERIFY_SPIFFE', []],
  ['Get "https://10.4.0.7:8080/metrics": x509: certificate is not valid for any names, but wanted to match httpbin.default.svc', 'MONITOR_VERIFY_SPIFFE', []],
  ['Get "https://10.4.0.7:8080/metrics": tls: failed to verify certificate: x509: certificate signed by unknown authority', 'MONITOR_VERIFY_SPIFFE', ['PEER_CERT_UNTRUSTED', 'ROOT_MISMATCH']],
  // Go's wording when verification is on and the target's certificate is outside its validity (crypto/x509 CertificateInvalidError, Expired)
  ['Get "https://10.4.0.7:8080/metrics": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-12-01T10:00:00Z is after 2026-11-30T09:00:00Z', 'MONITOR_VERIFY_SPIFFE', ['PEER_CERT_UNTRUSTED']],
  ['x509: certificate has expired or is not yet valid: current time 2026-12-01T10:00:00Z is before 2026-12-02T00:00:00Z', 'MONITOR_VERIFY_SPIFFE', ['PEER_CERT_UNTRUSTED']],
  ['x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "Root CA")', 'MONITOR_VERIFY_SPIFFE', ['PEER_CERT_UNTRUSTED']],
  // Rows 14-16, 18, 20, 23: plain text, closed or reset connections
  ['Get "https://10.4.0.7:8080/metrics": http: server gave HTTP response to HTTPS client', 'TARGET_NOT_TLS', ['MONITOR_TLS_ON_PLAINTEXT', 'MONITOR_MERGED_METRICS_PORT', 'AMBIENT_NAMESPACE']],
  ['Get "https://10.4.0.7:8080/metrics": EOF', 'MONITOR_TLS_ON_PLAINTEXT', ['CLIENT_CERT_REJECTED', 'ROOT_MISMATCH', 'SCRAPE_CONNECTION_CLOSED']],
  ['Get https://10.4.0.7:8080/metrics: EOF', 'MONITOR_TLS_ON_PLAINTEXT', ['CLIENT_CERT_REJECTED']],
  ['Get "http://10.4.0.7:8080/metrics": EOF', 'MONITOR_SCHEME_HTTP_ON_STRICT', ['SCRAPE_CONNECTION_CLOSED']],
  ['Get http://10.4.0.7:8080/metrics: EOF', 'MONITOR_SCHEME_HTTP_ON_STRICT', []],
  ['EOF', 'MONITOR_TLS_ON_PLAINTEXT', ['MONITOR_SCHEME_HTTP_ON_STRICT', 'CLIENT_CERT_REJECTED']],
  ['Get "https://10.4.0.7:8080/metrics": unexpected EOF', 'MONITOR_PORT_PROTOCOL', ['SCRAPE_CONNECTION_CLOSED']],
  ['Get "https://10.4.0.7:8080/metrics": read tcp 10.4.0.9:51234->10.4.0.7:8080: read: connection reset by peer', 'SCRAPE_CONNECTION_CLOSED', ['CLIENT_CERT_REJECTED', 'CERT_EXPIRED']],
  ['Get "http://10.4.0.7:8080/metrics": read tcp 10.4.0.9:51234->10.4.0.7:8080: read: connection reset by peer', 'MONITOR_SCHEME_HTTP_ON_STRICT', ['SCRAPE_CONNECTION_CLOSED']],
  ['Get "https://10.4.0.7:8080/metrics": readLoopPeekFailLocked: <nil>', 'MONITOR_TLS_ON_PLAINTEXT', ['SCRAPE_CONNECTION_CLOSED']],
  // Go's errServerClosedIdle: the same close before any answer, when it races the request (real Prometheus 2.42)
  ['Get "https://127.0.0.1:37801/metrics": http: server closed idle connection', 'MONITOR_TLS_ON_PLAINTEXT', ['CLIENT_CERT_REJECTED', 'SCRAPE_CONNECTION_CLOSED']],
  ['Get "http://10.4.0.7:8080/metrics": http: server closed idle connection', 'MONITOR_SCHEME_HTTP_ON_STRICT', ['SCRAPE_CONNECTION_CLOSED']],
  // Rows 17, 19, 20: HTTP answers
  ['server returned HTTP status 403 Forbidden', 'SCRAPE_HTTP_ERROR', ['IDENTITY_MISMATCH']],
  ['server returned HTTP status 503 Service Unavailable', 'SCRAPE_HTTP_ERROR', ['OUTBOUND_CAPTURED']],
  ['server returned HTTP status 404 Not Found', 'SCRAPE_HTTP_ERROR', ['OUTBOUND_CAPTURED']],
  ['server returned HTTP status 400 Bad Request', 'SCRAPE_HTTP_ERROR', ['CLIENT_CERT_REJECTED']],
  ['server returned HTTP status 500 Internal Server Error', 'SCRAPE_HTTP_ERROR', []],
  // Reaching the target
  ['Get "https://10.4.0.7:8080/metrics": context deadline exceeded', 'TARGET_TIMEOUT', ['MONITOR_MERGED_METRICS_PORT']],
  ['Get "https://10.4.0.7:8080/metrics": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', 'TARGET_TIMEOUT', []],
  ['Get "https://10.4.0.7:8080/metrics": net/http: TLS handshake timeout', 'TARGET_TIMEOUT', []],
  ['Get "https://10.4.0.7:8080/metrics": dial tcp 10.4.0.7:8080: connect: connection refused', 'TARGET_UNREACHABLE', []],
  ['Get "https://10.4.0.7:8080/metrics": dial tcp 10.4.0.7:8080: connect: no route to host', 'TARGET_UNREACHABLE', []],
  ['Get "https://10.4.0.7:8080/metrics": dial tcp 10.4.0.7:8080: i/o timeout', 'TARGET_TIMEOUT', []],
  // Not metrics
  ['received unsupported Content-Type "text/html" and no fallback_scrape_protocol specified for target', 'SCRAPE_NOT_METRICS', []],
  ['"INVALID" is not a valid start token', 'SCRAPE_NOT_METRICS', []],
  ['text format parsing error in line 1: invalid metric name', 'SCRAPE_NOT_METRICS', []],
  ['expected a valid start token, got "<" ("INVALID") while parsing: "<"', 'SCRAPE_NOT_METRICS', []],
  // Logs and events around Prometheus (rows 2, 4, 5, 7, 17, 19, 21, 22)
  ['admission webhook "sidecar-injector.istio.io" denied the request: invalid value \'proxyMetadata: [\' for annotation \'proxy.istio.io/config\': failed to convert to apply proxy config: yaml: line 1', 'PROXY_CONFIG_INVALID', []],
  ['Pod "prometheus-k8s-0" is invalid: spec.containers[1].volumeMounts[2].name: Not found: "istio-certs"', 'CERTS_VOLUME_MISSING', []],
  ['error when output the resource: failed to write data to file key.pem: open /etc/istio-output-certs/key.pem: read-only file system', 'CERTS_PATH_MISMATCH', ['USER_VOLUME_MOUNT_MISSING']],
  ['msg="error creating new scrape pool" err="error creating HTTP client: unable to read specified client cert (/etc/prom-certs/cert-chain.pem) & key (/etc/prom-certs/key.pem): open /etc/prom-certs/cert-chain.pem: no such file or directory" scrape_pool=serviceMonitor/apps/web/0', 'CERT_FILE_MISSING', ['STARTUP_RACE']],
  ['ServiceMonitor apps/web was rejected due to invalid configuration: endpoints[0]: it accesses file system via tls config which Prometheus specification prohibits', 'FS_ACCESS_DENIED', []],
  ['upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: 268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER', 'INBOUND_CAPTURED', []],
  ['"GET /metrics HTTP/1.1" 404 NR route_not_found', 'OUTBOUND_CAPTURED', []],
  ['"GET /metrics HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}', 'SCRAPE_HTTP_ERROR', []],
];

/**
 * The other scrapers' wordings (docs/scrapers.md, "Error texts"): vmagent's client and TLS files
 * (VictoriaMetrics lib/promscrape/client.go, lib/promauth/config.go; the texts of
 * VictoriaMetrics/VictoriaMetrics#470 and VictoriaMetrics/helm-charts#1855), the VictoriaMetrics
 * operator's, Alloy's and the target allocator's file-access refusals, and the collector's log lines
 * (open-telemetry/opentelemetry-collector#12018). [text, first cause, other causes it must name]
 */
const OTHER_SCRAPERS: [string, string, string[]][] = [
  // vmagent with the net/http client: its own prefix before Go's
  ['cannot perform request to "https://10.4.0.7:8080/metrics": Get "https://10.4.0.7:8080/metrics": remote error: tls: bad certificate', 'ROOT_MISMATCH', ['CLIENT_CERT_REJECTED']],
  ['cannot perform request to "https://10.4.0.7:8080/metrics": Get "https://10.4.0.7:8080/metrics": EOF', 'MONITOR_TLS_ON_PLAINTEXT', ['CLIENT_CERT_REJECTED']],
  ['cannot perform request to "http://10.4.0.7:8080/metrics": Get "http://10.4.0.7:8080/metrics": read tcp 10.4.0.9:51234->10.4.0.7:8080: read: connection reset by peer', 'MONITOR_SCHEME_HTTP_ON_STRICT', ['SCRAPE_CONNECTION_CLOSED']],
  ['cannot perform request to "https://10.4.0.7:8080/metrics": Get "https://10.4.0.7:8080/metrics": tls: failed to verify certificate: x509: certificate signed by unknown authority', 'MONITOR_VERIFY_SPIFFE', ['PEER_CERT_UNTRUSTED']],
  ['unexpected status code returned when scraping "https://10.4.0.7:8080/metrics": 403; expecting 200; response body: "RBAC: access denied"', 'SCRAPE_HTTP_ERROR', ['IDENTITY_MISMATCH']],
  ['unexpected status code returned when scraping "https://10.4.0.7:8080/metrics": 503; expecting 200; response body: "upstream connect error or disconnect/reset before headers"', 'SCRAPE_HTTP_ERROR', ['OUTBOUND_CAPTURED']],
  ['cannot read data from https://192.168.4.3:10250/metrics: context deadline exceeded (Client.Timeout or context cancellation while reading body)', 'TARGET_TIMEOUT', []],
  // older vmagent releases (fasthttp client)
  ['error when scraping "https://172.16.0.74:2379/metrics": remote error: tls: bad certificate', 'ROOT_MISMATCH', ['CLIENT_CERT_REJECTED']],
  ['error when scraping "https://10.4.0.7:8080/metrics" with timeout 10s: timeout', 'TARGET_TIMEOUT', []],
  ['error when scraping "http://10.4.0.7:8080/metrics": the server closed connection before returning the first response byte. Make sure the server returns \'Connection: close\' response header before closing the connection', 'MONITOR_SCHEME_HTTP_ON_STRICT', ['SCRAPE_CONNECTION_CLOSED']],
  // vmagent's TLS files (re-read at each handshake)
  ['cannot perform request to "https://10.4.0.7:8080/metrics": Get "https://10.4.0.7:8080/metrics": cannot read TLS certificate from "/etc/istio-certs/cert-chain.pem": open /etc/istio-certs/cert-chain.pem: no such file or directory', 'CERT_FILE_MISSING', ['STARTUP_RACE', 'CERTS_NOT_MOUNTED']],
  ['cannot read `ca_file`: open /etc/istio-certs/root-cert.pem: permission denied', 'CERT_FILE_UNREADABLE', []],
  ['cannot parse data read from `ca_file` "/etc/istio-certs/root-cert.pem"', 'CERT_PARSE_ERROR', ['CERT_FILE_MISSING']],
  ['cannot load TLS certificate from `cert_file`="/etc/istio-certs/cert-chain.pem", `key_file`="/etc/istio-certs/key.pem": tls: private key does not match public key', 'KEY_MISMATCH', []],
  // vmagent's log line, and the VictoriaMetrics operator's status of a skipped VMServiceScrape
  ['2024-12-13T01:04:26.409Z warn VictoriaMetrics/lib/promscrape/scrapework.go:383 cannot scrape target "https://192.168.4.3:10250/metrics" ({instance="boreas",job="kubelet"}) 1 out of 4 times during -promscrape.suppressScrapeErrorsDelay=0s; the last error: cannot read data from https://192.168.4.3:10250/metrics: context deadline exceeded (Client.Timeout or context cancellation while reading body)', 'TARGET_TIMEOUT', []],
  ['VictoriaMetrics/lib/promscrape/scrapework.go:175 error when scraping "https://172.16.0.7:2379/metrics" from job "kubernetes-etcd" with labels {instance="172.16.0.7:2379", job="kubernetes-etcd"}: error when scraping "https://172.16.0.7:2379/metrics": remote error: tls: bad certificate', 'ROOT_MISMATCH', []],
  ['tlsConfig.caFile, tlsConfig.certFile, tlsConfig.keyFile are prohibited', 'FS_ACCESS_DENIED', []],
  // Alloy: Prometheus's texts in its targets, its own file-access refusal, its debug log line
  ['serviceMonitor shop/shop endpoint 0 uses tlsConfig.caFile, which is disallowed because allow_arbitrary_file_access is false; use tlsConfig.ca instead', 'FS_ACCESS_DENIED', []],
  ['level=debug msg="Scrape failed" component_id=prometheus.scrape.shop scrape_pool=prometheus.scrape.shop target=http://10.4.0.7:8080/metrics err="Get \\"http://10.4.0.7:8080/metrics\\": EOF"', 'MONITOR_SCHEME_HTTP_ON_STRICT', []],
  // The OpenTelemetry collector: the reasonless warning, its debug line, the target allocator's refusal
  ['2025-01-05T19:40:04.672Z warn internal/transaction.go:129 Failed to scrape Prometheus endpoint {"kind": "receiver", "name": "prometheus", "data_type": "metrics", "scrape_timestamp": 1736106004668, "target_labels": "{__name__=\\"up\\", instance=\\"10.244.15.227:10250\\", job=\\"kubelet\\"}"}', 'MONITOR_TLS_PATH_UNMOUNTED', ['CERT_FILE_MISSING', 'CLIENT_CERT_REJECTED']],
  ['debug scrape/scrape.go:1331 Scrape failed {"kind": "receiver", "name": "prometheus", "scrape_pool": "serviceMonitor/shop/shop/0", "target": "https://10.4.0.7:8080/metrics", "err": "Get \\"https://10.4.0.7:8080/metrics\\": remote error: tls: certificate required"}', 'MONITOR_TLS_FILES_MISSING', ['CLIENT_CERT_REJECTED']],
  ['warn dropping scrape config that references arbitrary file path {"job": "serviceMonitor/shop/shop/0", "reason": "tls_config.ca_file: /etc/prom-certs/root-cert.pem"}', 'FS_ACCESS_DENIED', []],
];

describe('classifyLastError', () => {
  it.each([...WORDINGS, ...OTHER_SCRAPERS])('%s', (text, first, others) => {
    const codes = classifyLastError(text).map((c) => c.code);
    expect(codes[0]).toBe(first);
    for (const other of others) expect(codes).toContain(other);
  });

  it('names only catalogue codes, once each, each with a one-line why', () => {
    for (const [text] of [...WORDINGS, ...OTHER_SCRAPERS]) {
      const causes = classifyLastError(text);
      expect(new Set(causes.map((c) => c.code)).size).toBe(causes.length);
      for (const cause of causes) {
        expect(ALL_CODES).toContain(cause.code);
        expect(cause.why).toMatch(/^[^\n]{10,160}$/);
      }
    }
  });

  it('names the causes of an out-of-validity target certificate in order: verification on first, then the certificate itself', () => {
    const causes = classifyLastError('tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-12-01T10:00:00Z is after 2026-11-30T09:00:00Z');
    expect(causes.map((c) => c.code)).toEqual(['MONITOR_VERIFY_SPIFFE', 'PEER_CERT_UNTRUSTED']);
    expect(causes[1]!.why).toMatch(/outside its validity period/);
  });

  it('lets the caller name the scheme when the text has no prefix', () => {
    expect(classifyLastError('EOF', 'http')[0]?.code).toBe('MONITOR_SCHEME_HTTP_ON_STRICT');
    expect(classifyLastError('EOF', 'https').map((c) => c.code)).not.toContain('MONITOR_SCHEME_HTTP_ON_STRICT');
  });

  it('knows nothing of unrelated texts', () => {
    for (const text of ['', 'all good', 'sample limit exceeded', 'EOF is near', 'x'.repeat(100_000)]) expect(classifyLastError(text)).toEqual([]);
  });

  it('is not fooled into catastrophic backtracking by long hostile input', () => {
    // A synchronous hang cannot be cut by the test timeout; vm's watchdog can. 20 s is a deadline
    // owned by the test and far beyond any load: a super-linear regex takes hours on this input.
    const hostile = `Get "https://${'a'.repeat(50_000)}": ${'x509: certificate is valid for '.repeat(2_000)}`;
    const codes = runInNewContext('classify(text).map((c) => c.code)', { classify: classifyLastError, text: hostile }, { timeout: 20_000 }) as string[];
    expect(codes).toEqual([]); // no "…, not NAME" follows: a wording of no row
    // the guard can fail: a hang in a function of this realm is cut too
    expect(() => runInNewContext('spin()', { spin: () => { for (;;); } }, { timeout: 50 })).toThrow(/timed out/);
  });
});

describe('stripRequestPrefix', () => {
  it.each([
    ['Get "https://10.0.0.1:8443/metrics": EOF', 'EOF', 'https'],
    ['Get https://10.0.0.1:8443/metrics: EOF', 'EOF', 'https'],
    ['Get "http://[::1]:9090/metrics?x=1": unexpected EOF', 'unexpected EOF', 'http'],
    ['  EOF  ', 'EOF', undefined],
    ['cannot perform request to "https://10.0.0.1:8443/metrics": Get "https://10.0.0.1:8443/metrics": EOF', 'EOF', 'https'],
    ['error when scraping "http://10.0.0.1:8443/metrics" with timeout 10s: timeout', 'timeout', 'http'],
    ['unexpected status code returned when scraping "https://10.0.0.1/metrics": 404; expecting 200; response body: ""', 'server returned HTTP status 404; expecting 200; response body: ""', 'https'],
    ['msg="Scrape failed" err="Get \\"http://10.0.0.1/metrics\\": EOF" target=x', 'EOF', 'http'],
  ])('%s', (text, rest, scheme) => {
    expect(stripRequestPrefix(text)).toEqual({ rest, ...(scheme ? { scheme } : {}) });
  });
});
