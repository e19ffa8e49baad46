import { defineCheck } from '../../src/core/check.js';
import { keyTypeOf, spiffeIdOf } from '../../src/pki/index.js';
import { fileSubject, usableSets } from './parsed.js';

export default defineCheck({
  id: 'certs.key-match',
  title: 'key.pem belongs to the leaf of cert-chain.pem',
  category: 'certs',
  codes: ['KEY_MISMATCH'],
  needs: ['certFiles'],
  async run(ctx) {
    for (const { set, chain, key } of usableSets(await ctx.get('certFiles'), ['chain', 'key'])) {
      const leaf = chain[0]!;
      if (leaf.checkPrivateKey(key)) continue;
      // Only the key's type goes into evidence, never anything derived from its bytes.
      ctx.report('KEY_MISMATCH', {}, {
        subject: fileSubject(set, 'key.pem'),
        evidence: { leafSpiffeId: spiffeIdOf(leaf), leafKeyType: keyTypeOf(leaf.publicKey), keyType: keyTypeOf(key), leafSerial: leaf.serialNumber },
      });
    }
  },
});
