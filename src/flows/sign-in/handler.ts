// Submits credentials to a sign-in flow. Success moves the flow to `done` (once) and opens a session.
import { NyckelError } from '../../errors.ts';
import type { Tenant } from '../../directory/tenants.ts';
import type { RequestContext, Services } from '../../services.ts';
import { sessionEffect } from '../../sessions/sessions.ts';
import { msg } from '../common/ui.ts';
import { moveFlow, moveFlowWith, type FlowRow } from '../common/flow-store.ts';
import { authenticate, type SignInSubject } from './authenticate.ts';
import { signInData } from './flow.ts';

export type SignInResult = { flow: FlowRow; status: number; sessionToken?: string };

/** The identifier as submitted, as far as a sign-in reads it. */
export const submittedIdentifier = (input: { identifier?: string }) => (input.identifier ?? '').slice(0, 254);

export async function submitSignIn(
  s: Services,
  tenant: Tenant,
  flow: FlowRow,
  input: { identifier?: string; password?: string },
  ctx: RequestContext,
  /** The account and lockouts, when read along with the flow (readSubmission). */
  read?: SignInSubject,
): Promise<SignInResult> {
  if (flow.state !== 'credentials') throw new NyckelError('flow.action_not_allowed', 409);
  const data = signInData(flow);
  const identifier = submittedIdentifier(input);
  const stay = async (code: string, status: number, params?: Record<string, number>) => ({
    flow: await moveFlow(s.db, flow, { state: 'credentials', data: { ...data, identifier, messages: [msg('error', code, params)] } }),
    status,
  });
  if (!identifier.trim() || !input.password) return stay('sign_in.missing_fields', 400);
  const result = await authenticate(s, tenant, data.identityType, identifier, input.password, ctx, read);
  switch (result.status) {
    case 'invalid':
      return stay('sign_in.invalid_credentials', 400);
    case 'locked':
      return stay('sign_in.locked', 429, { seconds: result.retryAfterSeconds });
    case 'disabled':
      return stay('sign_in.account_disabled', 403);
    case 'ok': {
      // Flow done, session opened and sign-in audited in one statement: all of it, or nothing if a parallel
      // submission of this flow won.
      const session = sessionEffect(s, tenant.id, result.user.id, ctx);
      const done = await moveFlowWith(s.db, flow, { state: 'done', data: { ...data, identifier, messages: [] }, userId: result.user.id }, [session.effect, result.succeeded]);
      return { flow: done, status: 200, sessionToken: session.token };
    }
  }
}
