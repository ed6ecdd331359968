// HTTP for the password reset flow at /{tenant}/{policy}/password-reset (endpoints: common/flow-routes.ts).
// Only while the tenant's SSPR mode is not None.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NyckelError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import type { CookiePolicy } from '../../http/cookies.ts';
import { registerFlowRoutes } from '../common/flow-routes.ts';
import { field, passwordField } from '../../http/validate.ts';
import { interactionCompletePath, policyPath, type PolicyContext } from '../../http/policy-context.ts';
import { RESET_KIND, resetFlowJson, type ResetData } from './flow.ts';
import { submitReset } from './handler.ts';
import { sendCodeCharges } from '../common/send-code.ts';

const submission = z
  .object({
    csrf_token: field(128).optional(),
    action: z.enum(['send_code', 'resend_code', 'change_email', 'verify_code', 'set_password']),
    email: field(320).optional(),
    username: field(256).optional(),
    code: field(32).optional(),
    password: passwordField.optional(),
    confirm_password: passwordField.optional(),
  })
  .strict();


/**
 * Standalone, "Continue" leads back to the flow's sign-in page. Inside an app's sign-in (OIDC interaction)
 * it leads back to the app, signed in unless the flow says otherwise (B2C's default is signed in).
 */
function initialData(ctx: PolicyContext, locale: string, interaction?: string): ResetData {
  return {
    policy: ctx.userFlow.name,
    identityType: ctx.settings.identityType,
    passwordPreset: ctx.settings.passwordComplexity,
    locale,
    returnTo: interaction ? interactionCompletePath(ctx, interaction) : `${policyPath(ctx, 'signin')}?ui_locales=${encodeURIComponent(locale)}`,
    ...(interaction ? { interaction, signInAfter: ctx.settings.resetEndsSignedIn ?? true, cancelUrl: policyPath(ctx, `interaction/${interaction}/cancel`) } : {}),
    messages: [],
  };
}

export function registerPasswordResetRoutes(app: FastifyInstance, s: Services, cookies: CookiePolicy): void {
  registerFlowRoutes<z.infer<typeof submission>>(app, s, cookies, {
    segment: 'password-reset',
    kind: RESET_KIND,
    firstState: 'identify',
    allow(ctx) {
      if ((ctx.tenant.settings.sspr?.mode ?? 'none') === 'none') throw new NyckelError('password_reset.disabled_for_tenant', 403);
    },
    submission,
    initialData,
    toJson: resetFlowJson,
    chargesBeforeRead: sendCodeCharges,
    submit: submitReset,
  });
}
