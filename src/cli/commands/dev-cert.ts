// `nyckel dev-cert --out <dir>`: a local CA and a certificate for localhost / 127.0.0.1 signed by it, for
// serving https on a development machine (NYCKEL_TLS_CERT / NYCKEL_TLS_KEY).
import { resolve } from 'node:path';
import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

export const command: Command = {
  usage: 'dev-cert --out <dir>   (writes ca.pem, cert.pem, key.pem)',
  options: { out: { type: 'string' } },
  async run(ctx, values) {
    if (typeof values.out !== 'string' || values.out === '') throw new CliError('--out <dir> is required');
    // Loaded only here: the certificate library is not needed by any other command.
    const { writeDevCert } = await import('../../oidc/dev-cert.ts');
    const paths = await writeDevCert(resolve(values.out));
    ctx.out(
      [
        `wrote ${paths.ca}, ${paths.cert} and ${paths.key}`,
        `  serve https:  NYCKEL_TLS_CERT=${paths.cert} NYCKEL_TLS_KEY=${paths.key} NYCKEL_PUBLIC_URL=https://localhost:8080 npx nyckel start`,
        `  trust the CA: NODE_EXTRA_CA_CERTS=${paths.ca} (Node apps), or import ca.pem into your browser or OS`,
      ].join('\n'),
    );
    return 0;
  },
};
