import { defineCheck } from '../../src/core/check.js';
import { verifyChain } from '../../src/pki/index.js';
import { fileSubject, usableSets } from './parsed.js';

export default defineCheck({
  id: 'certs.chain',
  title: 'cert-chain.pem verifies up to root-cert.pem',
  category: 'certs',
  codes: ['CHAIN_BROKEN'],
  needs: ['certFiles'],
  async run(ctx) {
    for (const { set, chain, roots } of usableSets(await ctx.get('certFiles'), ['chain', 'roots'])) {
      // Structure only: certs.validity judges every date at --now. Judging time here too would
      // report an expiry twice, and OpenSSL stops at a not-yet-valid certificate, hiding what follows.
      const verdict = await verifyChain({
        leaf: chain[0]!, intermediates: chain.slice(1), roots, time: 'ignore',
        // Prometheus presents its leaf to the targets' sidecars as a TLS client certificate.
        purpose: 'sslclient', timeoutMs: ctx.options.timeoutMs,
      });
      if (verdict.ok) continue;
      ctx.report('CHAIN_BROKEN', { reason: verdict.errors.map((e) => e.reason).join('; ') }, {
        subject: fileSubject(set, 'cert-chain.pem'),
        evidence: { openssl: verdict.errors.map(({ code, name, depth, text }) => ({ code, name, depth, text })) },
      });
    }
  },
});
