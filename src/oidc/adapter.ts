// oidc-provider's storage contract over PostgreSQL (or PGlite): one jsonb row per model instance in
// `oidc_models`, scoped to the tenant; clients come from the `applications` table. Identifiers arrive from
// requests (codes, tokens, client ids), so anything that cannot be a stored id is "not found" without a query.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../store/database.ts';
import { consumeModel, destroyModel, findModel, findModelByUid, findModelByUserCode, revokeGrant, upsertModel } from '../store/queries/oidc-models.ts';
import { findApplication } from '../store/queries/applications.ts';
import { clientMetadata } from './applications.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// nanoid / base64url ids and JWT ids; never NUL (PostgreSQL text cannot hold it) and never huge.
const ID = /^[A-Za-z0-9_.~-]{1,512}$/;

class ModelAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly key: { tenantId: string; model: string },
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    await upsertModel(this.db, this.key, id, payload as Record<string, unknown>, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!ID.test(id)) return undefined;
    return (await findModel(this.db, this.key, id)) as AdapterPayload | undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!ID.test(uid)) return undefined;
    return (await findModelByUid(this.db, this.key, uid)) as AdapterPayload | undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!ID.test(userCode)) return undefined;
    return (await findModelByUserCode(this.db, this.key, userCode)) as AdapterPayload | undefined;
  }

  async consume(id: string): Promise<void> {
    if (ID.test(id)) await consumeModel(this.db, this.key, id);
  }

  async destroy(id: string): Promise<void> {
    if (ID.test(id)) await destroyModel(this.db, this.key, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (ID.test(grantId)) await revokeGrant(this.db, this.key.tenantId, grantId);
  }
}

/** Clients are the tenant's applications; they are created through the admin API, never by the provider. */
class ClientAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly tenantId: string,
  ) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!UUID.test(id)) return undefined;
    const app = await findApplication(this.db, this.tenantId, id);
    return app ? (clientMetadata(app) as AdapterPayload) : undefined;
  }

  async upsert(): Promise<void> {}
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** The `adapter` option of a tenant's provider: a factory taking the model name. */
export const adapterFor =
  (db: Db, tenantId: string) =>
  (model: string): Adapter =>
    model === 'Client' ? new ClientAdapter(db, tenantId) : new ModelAdapter(db, { tenantId, model });
