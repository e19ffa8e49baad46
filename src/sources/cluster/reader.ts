/**
 * Reads through the ApiClient on behalf of the providers and turns API failures into what the
 * contract promises: an unreachable server (or refused credentials) is one CLUSTER_UNREACHABLE and
 * every cluster resource unavailable with that reason; a 403 is ACCESS_DENIED naming the verb, the
 * resource, the namespace and what was skipped, and the resource unavailable with that reason.
 */
import { Unavailable, type ResourceStore } from '../../core/resources.js';
import { oneLine } from '../../core/errors.js';
import type { KubeObject } from '../../model/k8s.js';
import { ApiClient, ApiStatusError, ClusterUnreachable, DeadlineReached, resourceName, type ApiResource, type ItemTransform, type ListQuery } from './api.js';

export interface ReadIntent {
  verb: 'get' | 'list' | 'create';
  /** as RBAC names it: `servicemonitors.monitoring.coreos.com`, `pods/exec` */
  resource: string;
  /** undefined: cluster-wide */
  namespace?: string;
  /** what cannot be judged without it, in the user's terms */
  skipped: string;
}

export class ClusterReader {
  private unreachableReported = false;
  /** ACCESS_DENIED arguments by verb/resource/namespace, so that one denial is reported once */
  private readonly denials = new Map<string, { skipped: string }>();
  private preflight: Promise<void> | undefined;

  constructor(readonly client: ApiClient, private readonly store: ResourceStore) {}

  /**
   * One GET of /api before anything else: an unreachable server or refused credentials shows at
   * once, with at most one retry, so CLUSTER_UNREACHABLE comes within twice --timeout.
   */
  ready(): Promise<void> {
    this.preflight ??= this.discover().catch((error: unknown) => {
      throw this.translate(error, undefined);
    });
    return this.preflight;
  }

  /**
   * Anything but an APIVersions answer means this is no Kubernetes API we can use (a proxy's login
   * page, a 5xx, a 403 on discovery, which every authenticated user may read): unreachable.
   */
  private async discover(): Promise<void> {
    let body: { kind?: unknown; versions?: unknown } | null;
    try {
      body = await this.client.getJson('/api');
    } catch (error) {
      if (error instanceof ApiStatusError) throw this.client.markUnreachable(`it does not answer as a Kubernetes API: ${error.message}`);
      throw error;
    }
    if (body?.kind !== 'APIVersions' && !Array.isArray(body?.versions))
      throw this.client.markUnreachable('it does not answer as a Kubernetes API: GET /api gave no APIVersions');
  }

  async list<T extends KubeObject>(resource: ApiResource, namespace: string | undefined, query: ListQuery, skipped: string, transform?: ItemTransform<T>): Promise<T[]> {
    await this.ready();
    try {
      return await this.client.list<T>(resource, namespace, query, transform);
    } catch (error) {
      throw this.translate(error, { verb: 'list', resource: resourceName(resource), namespace, skipped });
    }
  }

  /** A list whose API may not be installed (a CRD): undefined when the server does not know it (404). */
  async listIfServed<T extends KubeObject>(resource: ApiResource, namespace: string | undefined, query: ListQuery, skipped: string): Promise<T[] | undefined> {
    try {
      return await this.list<T>(resource, namespace, query, skipped);
    } catch (error) {
      if (error instanceof NotServed) return undefined;
      throw error;
    }
  }

  async get<T extends KubeObject>(resource: ApiResource, namespace: string | undefined, name: string, skipped: string): Promise<T | undefined> {
    await this.ready();
    try {
      return await this.client.getObject<T>(resource, namespace, name);
    } catch (error) {
      throw this.translate(error, { verb: 'get', resource: resourceName(resource), namespace, skipped });
    }
  }

  /**
   * The error a provider throws for a failed call: Unavailable with the reason (after reporting
   * CLUSTER_UNREACHABLE or ACCESS_DENIED), or NotServed for a 404 of a whole collection.
   */
  translate(error: unknown, intent: ReadIntent | undefined): Error {
    if (error instanceof Unavailable || error instanceof NotServed) return error;
    if (error instanceof ClusterUnreachable) {
      if (!this.unreachableReported) {
        this.unreachableReported = true;
        this.store.diagnose('CLUSTER_UNREACHABLE', { server: this.client.server, reason: error.message }, { kind: 'Cluster', name: this.client.server });
      }
      return new Unavailable(`the Kubernetes API at ${this.client.server} cannot be reached (${error.message})`);
    }
    if (error instanceof DeadlineReached) return new Unavailable(error.message);
    if (error instanceof ApiStatusError && intent) {
      const what = `${intent.verb} ${intent.resource}${intent.namespace ? ` in namespace ${intent.namespace}` : ' cluster-wide'}`;
      if (error.status === 403) {
        this.denied(intent);
        return new Unavailable(`forbidden: ${what}`);
      }
      if (error.status === 404 && intent.verb === 'list') return new NotServed(`${what}: the API server does not serve ${intent.resource}`);
      return new Unavailable(`${what} failed: ${error.message}`);
    }
    return new Unavailable(oneLine(error));
  }

  notFound(where: string, namespace: string | undefined): void {
    this.store.diagnose('PROMETHEUS_NOT_FOUND', { scope: where }, { kind: 'Prometheus', ...(namespace ? { namespace } : {}) });
  }

  /** Reports a 403 once per verb/resource/namespace; a later denial adds what it skipped. */
  private denied(intent: ReadIntent): void {
    const key = `${intent.verb} ${intent.resource} ${intent.namespace ?? ''}`;
    const known = this.denials.get(key);
    if (known) {
      // the diagnostic holds this very object: the inputs check reads it after every source has run
      if (!known.skipped.split('; ').includes(intent.skipped)) known.skipped += `; ${intent.skipped}`;
      return;
    }
    const args = { verb: intent.verb, resource: intent.resource, ...(intent.namespace ? { namespace: intent.namespace } : {}), skipped: intent.skipped };
    this.denials.set(key, args);
    this.store.diagnose('ACCESS_DENIED', args, { kind: 'APIResource', name: intent.resource, ...(intent.namespace ? { namespace: intent.namespace } : {}) });
  }
}

/** The API server does not serve this collection (a CRD that is not installed). */
export class NotServed extends Error {
  override readonly name = 'NotServed';
}
