// Mail texts by message code, per locale. Owned by the mail templates (templates.ts).
// Subjects never carry a code: subjects show in notifications and lock screens, and are kept after the body
// has been scrubbed. Texts are plain: templates.ts escapes them (and every parameter) for HTML.
export const mailMessages: { en: Record<string, string>; sv: Record<string, string> } = {
  en: {
    'mail.common.signoff': 'Best regards,',
    'mail.common.automated': 'This is an automated message from {tenant}. Please do not reply to it.',

    'mail.reset_code.subject': '{tenant} account verification code',
    'mail.reset_code.heading': 'Verify your email address',
    'mail.reset_code.intro': 'Use this code to reset the password of your {tenant} account.',
    'mail.reset_code.code_label': 'Your code is:',
    'mail.reset_code.expiry': 'The code expires in {minutes} minutes.',
    'mail.reset_code.ignore': "If you didn't request this code, you can safely ignore this email.",

    'mail.signup_code.subject': '{tenant} account verification code',
    'mail.signup_code.heading': 'Verify your email address',
    'mail.signup_code.intro': 'Use this code to verify your email address for your new {tenant} account.',
    'mail.signup_code.code_label': 'Your code is:',
    'mail.signup_code.expiry': 'The code expires in {minutes} minutes.',
    'mail.signup_code.ignore': "If you didn't request this code, you can safely ignore this email.",

    'mail.password_changed.subject': 'Your {tenant} password was changed',
    'mail.password_changed.heading': 'Your password was changed',
    'mail.password_changed.body': 'The password for your {tenant} account was changed on {time} from IP address {ip}.',
    'mail.password_changed.ok': 'If you made this change, you do not need to do anything.',
    'mail.password_changed.not_you':
      "If this wasn't you, reset your password right away at {resetUrl} and contact {tenant} support.",

    'mail.test.subject': 'Test email from {tenant}',
    'mail.test.heading': 'Email delivery works',
    'mail.test.body': 'This is a test message from {tenant}. If you can read it, email delivery is set up correctly.',
  },
  sv: {
    'mail.common.signoff': 'Vänliga hälsningar,',
    'mail.common.automated': 'Det här är ett automatiskt meddelande från {tenant}. Svara inte på det.',

    'mail.reset_code.subject': 'Verifieringskod för ditt konto hos {tenant}',
    'mail.reset_code.heading': 'Verifiera din e-postadress',
    'mail.reset_code.intro': 'Använd den här koden för att återställa lösenordet till ditt konto hos {tenant}.',
    'mail.reset_code.code_label': 'Din kod är:',
    'mail.reset_code.expiry': 'Koden gäller i {minutes} minuter.',
    'mail.reset_code.ignore': 'Om du inte har begärt den här koden kan du bortse från det här mejlet.',

    'mail.signup_code.subject': 'Verifieringskod för ditt konto hos {tenant}',
    'mail.signup_code.heading': 'Verifiera din e-postadress',
    'mail.signup_code.intro': 'Använd den här koden för att verifiera e-postadressen till ditt nya konto hos {tenant}.',
    'mail.signup_code.code_label': 'Din kod är:',
    'mail.signup_code.expiry': 'Koden gäller i {minutes} minuter.',
    'mail.signup_code.ignore': 'Om du inte har begärt den här koden kan du bortse från det här mejlet.',

    'mail.password_changed.subject': 'Lösenordet till ditt konto hos {tenant} har ändrats',
    'mail.password_changed.heading': 'Ditt lösenord har ändrats',
    'mail.password_changed.body': 'Lösenordet till ditt konto hos {tenant} ändrades {time} från IP-adressen {ip}.',
    'mail.password_changed.ok': 'Om det var du som ändrade det behöver du inte göra något.',
    'mail.password_changed.not_you':
      'Om det inte var du ska du genast återställa lösenordet på {resetUrl} och kontakta supporten hos {tenant}.',

    'mail.test.subject': 'Testmeddelande från {tenant}',
    'mail.test.heading': 'E-postutskicket fungerar',
    'mail.test.body': 'Det här är ett testmeddelande från {tenant}. Om du kan läsa det är e-posten rätt inställd.',
  },
};
