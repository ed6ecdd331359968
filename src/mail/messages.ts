// Mail texts by message code, per locale. Owned by the mail templates.
export const mailMessages: { en: Record<string, string>; sv: Record<string, string> } = { en: {}, sv: {} };
