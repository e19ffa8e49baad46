import type { X509Certificate } from 'node:crypto';
import { defineCheck } from '../../src/core/check.js';
import type { CertFileName } from '../../src/model/inventory.js';
import {
  describeCertificate, isIssuedBy, isSelfSigned, lifetimeUsedPercent, notAfter, notBefore, sameAnchor, validityAt,
} from '../../src/pki/index.js';
import { fileSubject, usableSets } from './parsed.js';

/** Istio renews at about 50% of the lifetime; past 75% the renewal is overdue, not merely pending. */
const ROTATION_OVERDUE_PERCENT = 75;

export default defineCheck({
  id: 'certs.validity',
  title: 'every certificate of the chain is valid now, and the leaf is being rotated',
  category: 'certs',
  codes: ['CERT_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_NOT_ROTATED'],
  needs: ['certFiles'],
  async run(ctx) {
    // Every date is judged at --now (the clock by default), never at the machine's clock alone.
    const now = ctx.options.now;
    for (const { set, chain, roots } of usableSets(await ctx.get('certFiles'), ['chain'])) {
      const judged: { cert: X509Certificate; role: string; file: CertFileName }[] = chain.map((cert, i) => ({
        cert, role: i === 0 ? 'the leaf' : isSelfSigned(cert) ? 'the root' : 'the intermediate', file: 'cert-chain.pem' as const,
      }));
      // Of root-cert.pem, only the root this chain hangs from matters: a bundle mid-rotation may
      // rightly still hold an old, expired root.
      const top = chain[chain.length - 1]!;
      for (const root of roots ?? []) {
        if (!chain.some((c) => sameAnchor(c, root)) && isIssuedBy(top, root)) judged.push({ cert: root, role: 'the root', file: 'root-cert.pem' });
      }
      for (const { cert, role, file } of judged) {
        const certificate = `${role} ${describeCertificate(cert)}`;
        const evidence = { fingerprint256: cert.fingerprint256, now: now.toISOString() };
        const state = validityAt(cert, now);
        if (state === 'expired') ctx.report('CERT_EXPIRED', { certificate, notAfter: notAfter(cert).toISOString() }, { subject: fileSubject(set, file), evidence });
        if (state === 'not-yet-valid') ctx.report('CERT_NOT_YET_VALID', { certificate, notBefore: notBefore(cert).toISOString() }, { subject: fileSubject(set, file), evidence });
      }
      const leaf = chain[0]!;
      const used = lifetimeUsedPercent(leaf, now);
      if (validityAt(leaf, now) === 'valid' && used > ROTATION_OVERDUE_PERCENT) {
        ctx.report('CERT_NOT_ROTATED', { usedPercent: Math.floor(used), notAfter: notAfter(leaf).toISOString() }, {
          subject: fileSubject(set, 'cert-chain.pem'),
          evidence: { notBefore: notBefore(leaf).toISOString(), now: now.toISOString(), leaf: describeCertificate(leaf) },
        });
      }
    }
  },
});
