// HTTP for the sign-up flow at /{tenant}/{policy}/signup of "Sign up and sign in" user flows (endpoints:
// common/flow-routes.ts). "Create" signs the customer in and continues to the app or the signed-in page.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NyckelError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import type { CookiePolicy } from '../../http/cookies.ts';
import { registerFlowRoutes } from '../common/flow-routes.ts';
import { field, passwordField } from '../../http/validate.ts';
import { interactionCompletePath, policyPath, type PolicyContext } from '../../http/policy-context.ts';
import { SIGN_UP_KIND, signUpFlowJson, type SignUpData } from './flow.ts';
import { SIGN_UP_ACTIONS } from './states.ts';
import { submitSignUp } from './handler.ts';
import { sendCodeCharges } from '../common/send-code.ts';

// Names end up in tokens and on other people's screens: no bidi overrides or line separators to spoof them.
const nameField = (max: number) => field(max).refine((v) => !/[\u202a-\u202e\u2066-\u2069\u2028\u2029]/.test(v), 'format characters');

const submission = z
  .object({
    csrf_token: field(128).optional(),
    action: z.enum(SIGN_UP_ACTIONS),
    email: field(320).optional(),
    username: field(256).optional(),
    code: field(32).optional(),
    password: passwordField.optional(),
    confirm_password: passwordField.optional(),
    display_name: nameField(256).optional(),
    given_name: nameField(64).optional(),
    surname: nameField(64).optional(),
  })
  .strict();

/** Signed up inside an app's sign-in (OIDC interaction), the customer goes back to the app, signed in. */
function initialData(ctx: PolicyContext, locale: string, interaction?: string): SignUpData {
  const signIn = new URLSearchParams({ ui_locales: locale, ...(interaction ? { interaction } : {}) });
  return {
    policy: ctx.userFlow.name,
    identityType: ctx.settings.identityType,
    passwordPreset: ctx.settings.passwordComplexity,
    ...(ctx.settings.customPolicy ? { customPolicy: ctx.settings.customPolicy } : {}),
    locale,
    returnTo: interaction ? interactionCompletePath(ctx, interaction) : `${policyPath(ctx, 'signed-in')}?ui_locales=${encodeURIComponent(locale)}`,
    signInUrl: `${policyPath(ctx, 'signin')}?${signIn}`,
    ...(interaction ? { interaction } : {}),
    messages: [],
  };
}

export function registerSignUpRoutes(app: FastifyInstance, s: Services, cookies: CookiePolicy): void {
  registerFlowRoutes<z.infer<typeof submission>>(app, s, cookies, {
    segment: 'signup',
    kind: SIGN_UP_KIND,
    firstState: 'identify',
    // Only "Sign up and sign in" user flows (B2C's signUpOrSignIn) let customers create their own accounts.
    allow(ctx) {
      if (ctx.userFlow.type !== 'signUpOrSignIn') throw new NyckelError('sign_up.disabled_for_policy', 403);
    },
    submission,
    initialData,
    toJson: signUpFlowJson,
    chargesBeforeRead: sendCodeCharges,
    submit: submitSignUp,
    continueWhenSignedIn: true,
  });
}
