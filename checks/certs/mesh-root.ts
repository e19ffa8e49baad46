import { defineCheck } from '../../src/core/check.js';
import { Unavailable } from '../../src/core/resources.js';
import { describeCertificate, sameAnchor } from '../../src/pki/index.js';
import { fileSubject, parseMeshRoot, usableSets } from './parsed.js';

export default defineCheck({
  id: 'certs.mesh-root',
  title: "root-cert.pem shares a root with the mesh's root bundle",
  category: 'certs',
  codes: ['ROOT_MISMATCH'],
  needs: ['certFiles', 'meshRoot'],
  async run(ctx) {
    const meshRoot = await ctx.get('meshRoot');
    const bundle = parseMeshRoot(meshRoot);
    if ('error' in bundle) throw new Unavailable(`the mesh root bundle ${meshRoot.source} does not parse (see CERT_PARSE_ERROR)`);
    for (const { set, roots } of usableSets(await ctx.get('certFiles'), ['roots'])) {
      // By key and fingerprint: a root of the same name with another key is another root.
      if (roots.some((root) => bundle.value.some((anchor) => sameAnchor(root, anchor)))) continue;
      const summary = (certs: typeof roots) => certs.map((c) => ({ certificate: describeCertificate(c), fingerprint256: c.fingerprint256 }));
      ctx.report('ROOT_MISMATCH', { meshRoot: meshRoot.source }, {
        subject: fileSubject(set, 'root-cert.pem'),
        evidence: { roots: summary(roots), meshRoots: summary(bundle.value) },
      });
    }
  },
});
