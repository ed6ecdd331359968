// The one import of oidc-provider. Nyckel runs on Node 20 (package.json engines), where oidc-provider 9 works
// (the protocol suites prove it) but prints "Unsupported runtime" on import because it only endorses Node 22+.
// That line would greet every operator at start, so it alone is filtered while the module loads.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
const oidc = await import('oidc-provider').finally(() => {
  console.warn = warn;
});

export const OidcProvider = oidc.default;
export const { errors, interactionPolicy } = oidc;
