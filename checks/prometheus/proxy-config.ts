import { defineCheck } from '../../src/core/check.js';
import { annotationsOf } from '../../src/model/k8s.js';
import { ANNOTATION, parseProxyConfig, unknownProxyConfigFields } from '../../src/model/istio.js';

export default defineCheck({
  id: 'prometheus.proxy-config',
  title: 'proxy.istio.io/config is a ProxyConfig mapping the injector accepts, with fields ProxyConfig has',
  category: 'prometheus',
  codes: ['PROXY_CONFIG_INVALID', 'PROXY_CONFIG_FIELD_DROPPED'],
  needs: ['prometheusPods'],
  async run(ctx) {
    for (const pp of await ctx.get('prometheusPods')) {
      const text = annotationsOf(pp.pod)[ANNOTATION.proxyConfig];
      if (text === undefined) continue;
      const parsed = parseProxyConfig(text);
      if (!parsed.ok) {
        ctx.report('PROXY_CONFIG_INVALID', { reason: parsed.reason }, { subject: ctx.subjectOf(pp.subject) });
        continue;
      }
      // e.g. INBOUND_CAPTURE_PORTS at the top level instead of under proxyMetadata: silently lost.
      const keys = unknownProxyConfigFields(parsed.value);
      if (keys.length) ctx.report('PROXY_CONFIG_FIELD_DROPPED', { keys }, { subject: ctx.subjectOf(pp.subject) });
    }
  },
});
