// The tenant providers of one running Nyckel (one Services object), shared by the protocol routes and the
// admin operations that must see their changes at once (key rotation, application validation).
import type { Services } from '../services.ts';
import { NyckelError } from '../errors.ts';
import type { CookiePolicy } from '../http/cookies.ts';
import { createProviderCache, type ProviderCache } from './provider-factory.ts';

const caches = new WeakMap<Services, ProviderCache>();

export function providersFor(s: Services, cookies?: CookiePolicy): ProviderCache {
  let cache = caches.get(s);
  if (!cache) {
    cache = createProviderCache(s, cookies ?? { secure: new URL(s.config.publicUrl).protocol === 'https:' });
    caches.set(s, cache);
  }
  return cache;
}

/** Validates client metadata the way the tenant's provider will load it, so a bad client is refused at creation. */
export function clientValidator(s: Services, tenantId: string) {
  return async (metadata: Record<string, unknown>) => {
    const { provider } = await providersFor(s).get(tenantId);
    try {
      await provider.Client.validate(metadata as never);
    } catch (err) {
      throw new NyckelError('request.invalid', 400, { message: (err as { error_description?: string }).error_description ?? 'invalid client metadata' });
    }
  };
}
