/**
 * The lastError classifier: from the text Prometheus shows for a target (or logs when it fails to
 * build a scrape pool) to the finding codes that cause it, most likely first, each with a one-line why.
 * Every wording is from the project's research notes, failure-modes.md and platform-notes.md (Prometheus 2.42
 * measured), across prometheus/common versions, with or without Go's `Get "<url>": ` prefix.
 * The other scrapers' wordings (docs/scrapers.md, "Error texts", with their sources): vmagent's own
 * HTTP client (`cannot perform request to "<url>": `, `unexpected status code returned when
 * scraping`, `error when scraping "<url>"` from its older fasthttp client), its TLS file errors, the VictoriaMetrics
 * operator's, Alloy's and the OpenTelemetry target allocator's file-access refusals, and the
 * collector's reasonless `Failed to scrape Prometheus endpoint`. Alloy and the collector scrape with
 * Prometheus's own code, so their lastError is Prometheus's. A pasted log line is reduced to its
 * error field (`err="…"`, `"err": "…"`, vmagent's `the last error: …`).
 * Used by TARGET_DOWN and by `asm-prom explain`.
 */
import type { Code } from '../core/codes.js';

export interface Cause {
  code: Code;
  why: string;
}

export type Scheme = 'http' | 'https';

interface Rule {
  /** searched in the text without Go's `Get "<url>": ` prefix */
  pattern: RegExp;
  /** the rule applies only to scrapes with this scheme; when the scheme is unknown, every rule applies */
  scheme?: Scheme;
  causes: readonly Cause[];
}

// Causes shared by several wordings, named once.
const FILES_ABSENT: readonly Cause[] = [
  { code: 'CERT_FILE_MISSING', why: 'the TLS file was absent when Prometheus read it' },
  { code: 'STARTUP_RACE', why: 'Prometheus built the scrape pool before the sidecar wrote the files' },
  { code: 'CERTS_NOT_MOUNTED', why: 'the Prometheus container does not mount the certificates volume' },
  { code: 'MONITOR_TLS_PATH_UNMOUNTED', why: 'the monitor names a path outside the mount, or a file the sidecar never writes' },
  { code: 'CERTS_PATH_MISMATCH', why: "OUTPUT_CERTS differs from the sidecar's mount: the files land elsewhere" },
  { code: 'OUTPUT_CERTS_MISSING', why: 'the sidecar was never told to write the files' },
  { code: 'USER_VOLUME_MOUNT_MISSING', why: 'the sidecar does not mount the shared volume' },
  { code: 'SIDECAR_NOT_INJECTED', why: 'without a sidecar nobody writes the files' },
  { code: 'ANNOTATIONS_NOT_ON_POD', why: 'the annotations never reached the pod, so the sidecar writes nothing' },
];
const FILES_UNREADABLE: readonly Cause[] = [
  { code: 'CERT_FILE_UNREADABLE', why: "the file exists but Prometheus's user may not read it" },
  { code: 'PROXY_VERSION_UNSUPPORTED', why: 'Istio 1.9.0–1.9.3 write the files mode 0600 as uid 1337' },
];
const FILES_UNPARSABLE: readonly Cause[] = [
  { code: 'CERT_PARSE_ERROR', why: 'the file is not PEM, or holds no certificate or key' },
  { code: 'CERT_FILE_MISSING', why: 'the file is empty (partly written, or never written)' },
];
const FILE_PROBLEMS: readonly Cause[] = [
  { code: 'CERT_FILE_MISSING', why: 'a TLS file Prometheus needs is absent or empty' },
  { code: 'CERT_FILE_UNREADABLE', why: "a TLS file exists but Prometheus's user may not read it" },
  { code: 'CERT_PARSE_ERROR', why: 'a TLS file is not valid PEM' },
];
const SERVER_VERIFIED: Cause = { code: 'MONITOR_VERIFY_SPIFFE', why: "server verification is on, and Go cannot match Istio's SPIFFE-only certificates" };
const CLIENT_CERT_REJECTED: Cause = { code: 'CLIENT_CERT_REJECTED', why: "the target's sidecar refused Prometheus's client certificate" };
const CONNECTION_CLOSED: Cause = { code: 'SCRAPE_CONNECTION_CLOSED', why: 'the connection closed before a response (an AuthorizationPolicy on a TCP port, or the app)' };
const NOT_TLS: readonly Cause[] = [
  { code: 'TARGET_NOT_TLS', why: 'the port answered in plain text: no sidecar, or mTLS DISABLE, or the port excluded' },
  { code: 'MONITOR_TLS_ON_PLAINTEXT', why: 'https toward a target without a sidecar, or under PERMISSIVE (a passthrough chain)' },
  { code: 'MONITOR_MERGED_METRICS_PORT', why: "https toward Istio's merged-metrics port 15020, which is plain text" },
  { code: 'AMBIENT_NAMESPACE', why: 'in ambient mode the TLS of the scrape is tunnelled to the plain-text app' },
];

// Wordings whose meaning depends on the scheme of the scrape: one pattern, a rule per scheme.
// A connection closed before any answer: Go's bare EOF; Go's errServerClosedIdle when the close
// races the request on a fresh connection (Prometheus 2.42 gave it, now and then, for a server that
// closes after the handshake); fasthttp's wording (older vmagent releases)
const BARE_EOF = /(?:^|: )EOF$|(?:^|: )http: server closed idle connection$|the server closed connection before returning the first response byte/i;
const RESET = /connection reset by peer|broken pipe/i;

/** Most specific first: the first rule to name a code gives its rank and its why. */
const RULES: readonly Rule[] = [
  // ── Building the scrape pool / reading the TLS files (logged, or per scrape when a file vanishes) ──
  { pattern: /private key does not match public key/i, causes: [
    { code: 'KEY_MISMATCH', why: 'key.pem and cert-chain.pem are not a pair (a rotation caught half-written, or mixed files)' },
  ] },
  { pattern: /failed to find any PEM data|failed to parse (?:certificate|private key)|unable to use specified CA cert|cannot parse data (?:read )?from `ca(?:_file)?`/i, causes: FILES_UNPARSABLE },
  { pattern: /permission denied/i, causes: FILES_UNREADABLE },
  { pattern: /no such file or directory/i, causes: FILES_ABSENT },
  { pattern: /unable to (?:read|load|use) specified (?:CA cert|client cert)|unable to read (?:CA cert|file)|error creating (?:HTTP client|new scrape pool)/i, causes: FILE_PROBLEMS },

  // ── Alerts the target's sidecar sends (Envoy / BoringSSL), `remote error: tls: <alert>` ──────────
  { pattern: /remote error: tls: unknown certificate authority/i, causes: [
    { code: 'ROOT_MISMATCH', why: "Prometheus's certificate comes from another CA than the target trusts" },
    { code: 'CHAIN_BROKEN', why: 'cert-chain.pem does not lead to the root the target trusts' },
    CLIENT_CERT_REJECTED,
  ] },
  { pattern: /remote error: tls: bad certificate/i, causes: [
    { code: 'ROOT_MISMATCH', why: 'older Envoy sends "bad certificate" for a client certificate from an unknown CA' },
    { code: 'CERT_EXPIRED', why: 'an expired client certificate is refused' },
    { code: 'CHAIN_BROKEN', why: 'cert-chain.pem does not lead to the root the target trusts' },
    CLIENT_CERT_REJECTED,
  ] },
  { pattern: /remote error: tls: expired certificate/i, causes: [
    { code: 'CERT_EXPIRED', why: "Prometheus's client certificate is past notAfter" },
    { code: 'CERT_NOT_ROTATED', why: "the sidecar stopped renewing Prometheus's certificate" },
    CLIENT_CERT_REJECTED,
  ] },
  { pattern: /remote error: tls: certificate required/i, causes: [
    { code: 'MONITOR_TLS_FILES_MISSING', why: 'no client certificate is configured (certFile/keyFile), and TLS 1.3 targets demand one' },
    CLIENT_CERT_REJECTED,
  ] },
  { pattern: /remote error: tls: handshake failure/i, causes: [
    { code: 'MONITOR_TLS_FILES_MISSING', why: 'no client certificate is configured; TLS 1.2 targets answer with handshake_failure' },
    CLIENT_CERT_REJECTED,
  ] },
  { pattern: /remote error: tls: (?:certificate unknown|unsupported certificate|certificate revoked|access denied)/i, causes: [
    CLIENT_CERT_REJECTED,
    { code: 'ROOT_MISMATCH', why: "the target does not trust the issuer of Prometheus's certificate" },
  ] },
  { pattern: /remote error: tls:/i, causes: [CLIENT_CERT_REJECTED] },

  // ── Prometheus verifying the target (insecure_skip_verify off), `tls: failed to verify certificate: ` ──
  { pattern: /x509: cannot validate certificate for .* because it doesn't contain any IP SANs/i, causes: [SERVER_VERIFIED] },
  { pattern: /x509: certificate is not valid for any names|x509: certificate is valid for .*, not |x509: certificate relies on legacy Common Name field/i, causes: [SERVER_VERIFIED] },
  { pattern: /x509: certificate signed by unknown authority/i, causes: [
    SERVER_VERIFIED,
    { code: 'PEER_CERT_UNTRUSTED', why: "the target's certificate does not chain to root-cert.pem" },
    { code: 'ROOT_MISMATCH', why: "Prometheus's root-cert.pem is from another CA than the mesh's" },
  ] },
  { pattern: /x509: certificate has expired or is not yet valid/i, causes: [
    SERVER_VERIFIED,
    { code: 'PEER_CERT_UNTRUSTED', why: "the target's certificate is outside its validity period" },
  ] },

  // ── Plain text where TLS was expected ──────────────────────────────────────────────────────────
  { pattern: /server gave HTTP response to HTTPS client|first record does not look like a TLS handshake|tls: oversized record received/i, causes: NOT_TLS },

  // ── The connection closes before a response ────────────────────────────────────────────────────
  { pattern: /(?:^|: )unexpected EOF$|http2: |malformed HTTP response/i, causes: [
    { code: 'MONITOR_PORT_PROTOCOL', why: 'the port is not declared HTTP for Istio: HTTP/2 frames reach an HTTP/1.1 app' },
    CONNECTION_CLOSED,
  ] },
  { pattern: new RegExp(`${BARE_EOF.source}|readLoopPeekFailLocked: <nil>`, 'i'), scheme: 'https', causes: [
    { code: 'MONITOR_TLS_ON_PLAINTEXT', why: 'under PERMISSIVE the TLS of Prometheus falls into a passthrough chain and is closed' },
    { code: 'CLIENT_CERT_REJECTED', why: 'a target that does not trust the client certificate may close without an alert (TLS 1.3)' },
    { code: 'ROOT_MISMATCH', why: "Prometheus's certificate comes from another CA than the target trusts" },
    { code: 'CERT_EXPIRED', why: 'a target may refuse an expired client certificate by closing without an alert (TLS 1.3)' },
    CONNECTION_CLOSED,
  ] },
  { pattern: BARE_EOF, scheme: 'http', causes: [
    { code: 'MONITOR_SCHEME_HTTP_ON_STRICT', why: 'plain http toward a sidecar that demands mTLS (STRICT) is closed' },
    CONNECTION_CLOSED,
  ] },
  { pattern: RESET, scheme: 'https', causes: [
    CONNECTION_CLOSED,
    { code: 'CLIENT_CERT_REJECTED', why: 'some servers reset instead of alerting when they refuse a client certificate (TLS 1.2)' },
    { code: 'CERT_EXPIRED', why: 'an expired client certificate can be refused with a reset' },
  ] },
  { pattern: RESET, scheme: 'http', causes: [
    { code: 'MONITOR_SCHEME_HTTP_ON_STRICT', why: 'STRICT mTLS resets plain-text connections' },
    CONNECTION_CLOSED,
  ] },

  // ── HTTP answers ───────────────────────────────────────────────────────────────────────────────
  { pattern: /server returned HTTP status 403/i, causes: [
    { code: 'SCRAPE_HTTP_ERROR', why: "an AuthorizationPolicy denies Prometheus's principal" },
    { code: 'IDENTITY_MISMATCH', why: "Prometheus's certificate names another service account than the policy allows" },
  ] },
  { pattern: /server returned HTTP status 503/i, causes: [
    { code: 'SCRAPE_HTTP_ERROR', why: 'the sidecar cannot reach the app (it binds to localhost, or the port is wrong)' },
    { code: 'OUTBOUND_CAPTURED', why: "the scrape passes through Prometheus's own sidecar, which has no route for it" },
  ] },
  { pattern: /server returned HTTP status 404/i, causes: [
    { code: 'SCRAPE_HTTP_ERROR', why: 'the metrics path is wrong' },
    { code: 'OUTBOUND_CAPTURED', why: "the scrape passes through Prometheus's own sidecar (route_not_found)" },
  ] },
  { pattern: /server returned HTTP status 400/i, causes: [
    { code: 'SCRAPE_HTTP_ERROR', why: 'the target answered 400 Bad Request' },
    { code: 'CLIENT_CERT_REJECTED', why: 'nginx-like servers answer 400 when they refuse the client certificate' },
  ] },
  { pattern: /server returned HTTP status/i, causes: [{ code: 'SCRAPE_HTTP_ERROR', why: 'the metrics path answered with a non-200 status' }] },

  // ── Not metrics ────────────────────────────────────────────────────────────────────────────────
  { pattern: /received unsupported Content-Type|is not a valid start token|text format parsing error|invalid metric type|expected a valid start token|expected equal|unsupported character in float|data does not end with # EOF|expected label name|invalid UTF-8 label value/i, causes: [
    { code: 'SCRAPE_NOT_METRICS', why: 'the answer is not Prometheus text or OpenMetrics: wrong path or port' },
  ] },

  // ── Texts from around Prometheus that users paste too: injector, operator and sidecar logs ──────
  { pattern: /for annotation 'proxy\.istio\.io\/config'|failed to convert to apply proxy config/i, causes: [
    { code: 'PROXY_CONFIG_INVALID', why: 'the injector rejects the pod: proxy.istio.io/config is not a ProxyConfig mapping' },
  ] },
  { pattern: /volumeMounts\[\d+\]\.name: Not found/i, causes: [
    { code: 'CERTS_VOLUME_MISSING', why: 'userVolumeMount or a container mount names a volume the pod lacks' },
  ] },
  { pattern: /failed to write data to file|error when output the resource/i, causes: [
    { code: 'CERTS_PATH_MISMATCH', why: "the sidecar writes OUTPUT_CERTS outside its mount of the shared volume, onto its read-only root" },
    { code: 'USER_VOLUME_MOUNT_MISSING', why: 'the sidecar does not mount the shared volume at OUTPUT_CERTS' },
  ] },
  { pattern: /accesses file system via tls config which Prometheus specification prohibits/i, causes: [
    { code: 'FS_ACCESS_DENIED', why: 'arbitraryFSAccessThroughSMs.deny: true makes the operator reject monitors that read TLS files' },
  ] },
  { pattern: /tlsConfig\.(?:caFile|certFile|keyFile)\b.* are prohibited/i, causes: [
    { code: 'FS_ACCESS_DENIED', why: "a VMAgent's spec.arbitraryFSAccessThroughSMs.deny: true: the VM operator skips scrapes whose tlsConfig names files" },
  ] },
  { pattern: /disallowed because allow_arbitrary_file_access is false|references an arbitrary file from Alloy's filesystem/i, causes: [
    { code: 'FS_ACCESS_DENIED', why: 'Alloy ≥ 1.19 drops ServiceMonitor endpoints that name TLS files unless allow_arbitrary_file_access = true' },
  ] },
  { pattern: /dropping scrape config that references arbitrary file path/i, causes: [
    { code: 'FS_ACCESS_DENIED', why: "the OpenTelemetry target allocator's prometheusCR.denyFSAccessThroughSMs drops jobs that name TLS files" },
  ] },
  { pattern: /Failed to scrape Prometheus endpoint/i, causes: [
    { code: 'MONITOR_TLS_PATH_UNMOUNTED', why: "the collector logs no reason (its debug \"Scrape failed\" line does); allocator jobs name TLS paths its pod may not mount" },
    ...FILE_PROBLEMS,
    CLIENT_CERT_REJECTED,
    { code: 'TARGET_UNREACHABLE', why: 'or the target cannot be reached at all' },
  ] },
  { pattern: /WRONG_VERSION_NUMBER/, causes: [
    { code: 'INBOUND_CAPTURED', why: "meshed clients reach Prometheus with mTLS through its sidecar's inbound capture" },
  ] },
  { pattern: /route_not_found/i, causes: [
    { code: 'OUTBOUND_CAPTURED', why: "the scrape passes through Prometheus's own sidecar, which has no route for the pod IP" },
  ] },
  { pattern: /delayed_connect_error/i, causes: [
    { code: 'SCRAPE_HTTP_ERROR', why: "the target's sidecar cannot connect to the app (it binds to localhost, or the port is wrong)" },
  ] },

  // ── Reaching the target ────────────────────────────────────────────────────────────────────────
  { pattern: /context deadline exceeded|Client\.Timeout exceeded|i\/o timeout|connection timed out|TLS handshake timeout|^timeout$/i, causes: [
    { code: 'TARGET_TIMEOUT', why: 'no answer within scrape_timeout: a NetworkPolicy, a firewall or an overloaded target' },
    { code: 'MONITOR_MERGED_METRICS_PORT', why: "https toward Istio's plain-text merged-metrics port 15020 can hang" },
  ] },
  { pattern: /connection refused|no route to host|network is unreachable|host is down|no such host/i, causes: [
    { code: 'TARGET_UNREACHABLE', why: 'nothing listens on the port, or the address cannot be reached' },
  ] },
];

/**
 * Go's HTTP client prefixes every scrape error with `Get "<url>": ` (unquoted before Go 1.14).
 * The URL gives the scheme, which tells apart the meanings of `EOF`.
 */
const GET_PREFIX = /^\s*(?:Get|Post|Head)\s+"?([a-z][a-z0-9+.-]*):\/\/[^\s"]*"?:\s*/i;

/**
 * vmagent's prefixes (lib/promscrape/client.go): `cannot perform request to "<url>": ` before Go's
 * own, `cannot read data from <url>: `, `unexpected status code returned when scraping "<url>": `
 * (said here as Prometheus says it, `server returned HTTP status `), and older releases (fasthttp client)
 * `error when scraping "<url>": ` or `… with timeout 10s: ` (then the rest is `timeout`).
 */
const VMAGENT_PREFIX = /^\s*(?:cannot perform request to|cannot read data from|error when scraping|(unexpected status code returned when scraping))\s+"?([a-z][a-z0-9+.-]*):\/\/[^\s"]*"?(?: with timeout \S+)?:\s*/i;

/** A pasted log line: its error field (logfmt `err="…"`, JSON `"err": "…"`), or vmagent's last error. */
const LOG_FIELD = /(?:\berr(?:or)?=|"err(?:or)?":\s*)"((?:[^"\\]|\\.)*)"/;
const VMAGENT_LOG = /(?:; the last error: |from job "[^"]*" with labels \{[^}]*\}: )(.*?)(?:; scrape errors can be disabled by .*)?$/;

/** The error itself when the text is a whole log line; else the text. */
function errorOfLogLine(text: string): string {
  const field = LOG_FIELD.exec(text);
  if (field) return field[1]!.replace(/\\(.)/g, '$1');
  const vm = VMAGENT_LOG.exec(text);
  return vm ? vm[1]! : text;
}

/** The error text without the scrapers' request prefixes, and the scheme of the request when it said one. */
export function stripRequestPrefix(text: string): { rest: string; scheme?: Scheme } {
  let rest = errorOfLogLine(text.trim()).trim();
  let scheme: string | undefined;
  const vm = VMAGENT_PREFIX.exec(rest);
  if (vm) {
    scheme = vm[2]!.toLowerCase();
    rest = (vm[1] ? 'server returned HTTP status ' : '') + rest.slice(vm[0].length);
  }
  const m = GET_PREFIX.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  }
  return { rest, ...(scheme === 'http' || scheme === 'https' ? { scheme } : {}) };
}

/**
 * The codes that cause a lastError text, most likely first; empty for a text no rule knows.
 * `scheme` is the scrape's when the caller knows it (TARGET_DOWN has the scrape URL); else the
 * text's own `Get "<url>"` prefix says it.
 */
export function classifyLastError(text: string, scheme?: Scheme): Cause[] {
  const { rest, scheme: ownScheme } = stripRequestPrefix(text);
  const effectiveScheme = scheme ?? ownScheme;
  const causes: Cause[] = [];
  for (const rule of RULES) {
    if (rule.scheme && effectiveScheme && rule.scheme !== effectiveScheme) continue;
    if (!rule.pattern.test(rest)) continue;
    for (const cause of rule.causes) if (!causes.some((c) => c.code === cause.code)) causes.push(cause);
  }
  return causes;
}
