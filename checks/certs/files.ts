import { defineCheck } from '../../src/core/check.js';
import { CERT_FILE_NAMES } from '../../src/model/inventory.js';
import { fileSubject } from './parsed.js';

export default defineCheck({
  id: 'certs.files',
  title: 'root-cert.pem, cert-chain.pem and key.pem are there and readable',
  category: 'certs',
  codes: ['CERT_FILE_MISSING', 'CERT_FILE_UNREADABLE'],
  needs: ['certFiles'],
  async run(ctx) {
    for (const set of await ctx.get('certFiles')) {
      for (const name of CERT_FILE_NAMES) {
        const file = set.files[name];
        const subject = fileSubject(set, name);
        if (file.state === 'absent' || file.state === 'empty') {
          // Whether the sidecar wrote it tells "never written" from "written but not shared".
          const outputCertsHas = set.outputCerts ? set.outputCerts.present.includes(name) : undefined;
          ctx.report('CERT_FILE_MISSING', { file: name, state: file.state, ...(outputCertsHas !== undefined && { outputCertsHas }) },
            { subject, evidence: set.outputCerts ? { outputCertsDir: set.outputCerts.dir } : undefined });
        } else if (file.state === 'unreadable') {
          ctx.report('CERT_FILE_UNREADABLE', { file: name, mode: file.mode, owner: file.owner, readerUid: set.readerUid }, { subject });
        }
      }
    }
  },
});
