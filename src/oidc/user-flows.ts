// User flows (B2C's `B2C_1_<name>` policies): create and update, with settings validated against the limits
// B2C itself enforces (token lifetimes 5–1440 minutes, refresh tokens 1–90 days, sliding window 1–365 days).
import { z } from 'zod';
import { NyckelError } from '../errors.ts';
import { LOCALES } from '../i18n/locales.ts';
import type { Db, UserFlowSettings, UserFlowType } from '../store/database.ts';
import { findUserFlow, insertUserFlow, updateUserFlowSettings } from '../store/queries/user-flows.ts';
import type { Tenant } from '../directory/tenants.ts';

const minutes = z.number().int().min(5).max(1440);

export const userFlowSettingsSchema = z
  .object({
    identityType: z.enum(['email', 'username']).optional(),
    passwordComplexity: z.enum(['simple', 'strong', 'nist', 'custom']).optional(),
    customPolicy: z
      .object({ minLength: z.number().int().min(1).max(256), maxLength: z.number().int().min(1).max(1024), minClasses: z.number().int().min(0).max(4) })
      .strict()
      .refine((p) => p.maxLength >= p.minLength, 'maxLength must be at least minLength')
      .optional(),
    passwordReset: z.enum(['inline', 'legacy']).optional(),
    resetEndsSignedIn: z.boolean().optional(),
    defaultLanguage: z.enum(LOCALES).optional(),
    languages: z.array(z.enum(LOCALES)).min(1).max(LOCALES.length).optional(),
    tokenLifetimes: z
      .object({
        idTokenMinutes: minutes.optional(),
        accessTokenMinutes: minutes.optional(),
        refreshTokenDays: z.number().int().min(1).max(90).optional(),
        refreshWindowDays: z.number().int().min(1).max(365).optional(),
      })
      .strict()
      .refine((t) => (t.refreshWindowDays ?? 90) >= (t.refreshTokenDays ?? 14), 'refreshWindowDays must be at least refreshTokenDays')
      .optional(),
  })
  .strict();

export const userFlowCreateSchema = z
  .object({
    // B2C adds the B2C_1_ prefix to the name an admin types.
    name: z.string().regex(/^(B2C_1_)?[A-Za-z0-9_-]{1,64}$/i, 'letters, digits, _ and - only'),
    type: z.enum(['signIn', 'signUpOrSignIn', 'passwordReset']),
    settings: userFlowSettingsSchema.optional(),
  })
  .strict();

export const policyName = (name: string) => (/^B2C_1_/i.test(name) ? `B2C_1_${name.slice(6)}` : `B2C_1_${name}`);

export const userFlowView = (f: { id: string; name: string; type: UserFlowType; settings: UserFlowSettings }) => ({ id: f.id, name: f.name, type: f.type, settings: f.settings });

export async function createUserFlow(db: Db, tenant: Tenant, input: z.infer<typeof userFlowCreateSchema>) {
  const name = policyName(input.name);
  if (await findUserFlow(db, tenant.id, name)) throw new NyckelError('request.invalid', 409, { message: `user flow ${name} already exists` });
  const defaults: UserFlowSettings = { identityType: 'email', passwordComplexity: 'strong' };
  const settings = { ...defaults, ...input.settings } as UserFlowSettings;
  return userFlowView(await insertUserFlow(db, { id: crypto.randomUUID(), tenant_id: tenant.id, name, type: input.type, settings }));
}

/** Merges the given settings into the flow's (a partial update, as PATCH means). */
export async function updateUserFlow(db: Db, tenant: Tenant, name: string, patch: z.infer<typeof userFlowSettingsSchema>) {
  const flow = await findUserFlow(db, tenant.id, name);
  if (!flow) throw new NyckelError('policy.not_found', 404);
  const merged = { ...flow.settings, ...patch, ...(patch.tokenLifetimes ? { tokenLifetimes: { ...flow.settings.tokenLifetimes, ...patch.tokenLifetimes } } : {}) } as UserFlowSettings;
  const checked = userFlowSettingsSchema.safeParse(merged);
  if (!checked.success) throw new NyckelError('request.invalid', 400, { message: checked.error.issues[0]?.message ?? 'invalid settings' });
  const updated = await updateUserFlowSettings(db, flow.id, merged);
  if (!updated) throw new NyckelError('policy.not_found', 404);
  return userFlowView(updated);
}
