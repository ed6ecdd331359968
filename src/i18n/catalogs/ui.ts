// Hosted-page and API texts by message code.
export const uiMessages: { en: Record<string, string>; sv: Record<string, string> } = { en: {}, sv: {} };
