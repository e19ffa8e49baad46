import { defineCheck } from '../../src/core/check.js';
import type { CertFileName } from '../../src/model/inventory.js';
import {
  describeCertificate, formatDuration, keyTypeOf, notAfter, notBefore, spiffeIdOf,
} from '../../src/pki/index.js';
import { fileSubject, meshRootSubject, parseMeshRoot, parseSet, setKey } from './parsed.js';

export default defineCheck({
  id: 'certs.parse',
  title: 'the files hold PEM certificates and a private key',
  category: 'certs',
  codes: ['CERT_PARSE_ERROR'],
  needs: ['certFiles'],
  uses: ['meshRoot'],
  async run(ctx) {
    for (const set of await ctx.get('certFiles')) {
      const parsed = parseSet(set);
      for (const [name, reason] of Object.entries(parsed.errors) as [CertFileName, string][]) {
        ctx.report('CERT_PARSE_ERROR', { file: name, reason }, { subject: fileSubject(set, name) });
      }
      const leaf = parsed.chain?.[0];
      if (!leaf) continue;
      // What a healthy set is, for --verbose and JSON: the facts someone checking by hand looks up.
      const now = ctx.options.now;
      ctx.fact(setKey(set), {
        spiffeId: spiffeIdOf(leaf) ?? null,
        serial: leaf.serialNumber,
        notBefore: notBefore(leaf).toISOString(),
        notAfter: notAfter(leaf).toISOString(),
        timeLeft: formatDuration(notAfter(leaf).getTime() - now.getTime()),
        keyType: keyTypeOf(leaf.publicKey),
        chain: parsed.chain!.map(describeCertificate),
        roots: parsed.roots?.map(describeCertificate) ?? null,
        // Machine-readable validity of every certificate of cert-chain.pem, for the exposition's
        // asm_prom_cert_*_timestamp_seconds series (and alerts on a rotation that stopped).
        ...(set.subject.kind === 'Pod' ? { namespace: set.subject.namespace, pod: set.subject.name } : {}),
        validity: parsed.chain!.map((cert) => ({
          file: 'cert-chain.pem',
          serialNumber: cert.serialNumber,
          spiffeId: spiffeIdOf(cert) ?? '',
          notBefore: notBefore(cert).toISOString(),
          notAfter: notAfter(cert).toISOString(),
        })),
      });
    }
    const meshRoot = await ctx.tryGet('meshRoot');
    if (!meshRoot) return;
    const bundle = parseMeshRoot(meshRoot);
    if ('error' in bundle) {
      ctx.report('CERT_PARSE_ERROR', { file: 'mesh root bundle', reason: bundle.error }, { subject: meshRootSubject(meshRoot) });
    }
  },
});
