import { it, expect } from 'vitest';
import { startTestApp } from './fixtures/app.ts';
import { Browserless, formOf, messageCodes } from './fixtures/browserless.ts';

it('smoke', async () => {
  const t = await startTestApp();
  try {
    await t.createUser({ email: 'alice@example.com', password: 'Old-Passw0rd!x', displayName: 'Alice' });
    await t.setSspr('all');
    const b = new Browserless(t.url);
    let page = await b.get('/contoso/B2C_1_signin/signin');
    console.log(page.url, page.res.status);
    expect(page.body).toContain('Forgot your password?');
    page = await b.get('/contoso/B2C_1_signin/password-reset');
    console.log(page.url, page.res.status, formOf(page.body));
    let f = formOf(page.body);
    let r = await b.postForm(f.action, { csrf_token: f.csrf, action: 'send_code', email: 'Alice@Example.com' });
    console.log(r.status, r.url, messageCodes(r.body));
    const mail = await t.waitForMail('alice@example.com');
    const code = t.codeFrom(mail);
    f = formOf(r.body);
    r = await b.postForm(f.action, { csrf_token: f.csrf, action: 'verify_code', code });
    console.log(r.status, messageCodes(r.body));
    f = formOf(r.body);
    r = await b.postForm(f.action, { csrf_token: f.csrf, action: 'set_password', password: 'New-Passw0rd!yz', confirm_password: 'New-Passw0rd!yz' });
    console.log(r.status, messageCodes(r.body), r.body.slice(-800));
  } finally {
    await t.close();
  }
});
