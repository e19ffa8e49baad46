import { defineCheck } from '../../src/core/check.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, parseProxyConfig } from '../../src/model/istio.js';

export default defineCheck({
  id: 'prometheus.proxy-config',
  title: 'proxy.istio.io/config is a ProxyConfig mapping the injector accepts',
  category: 'prometheus',
  codes: ['PROXY_CONFIG_INVALID'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      const text = annotationsOf(pp.pod)[ANNOTATION.proxyConfig];
      if (text === undefined) continue;
      const parsed = parseProxyConfig(text);
      if (!parsed.ok) ctx.report('PROXY_CONFIG_INVALID', { reason: parsed.reason }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
