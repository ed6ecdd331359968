// An SMTP server on 127.0.0.1 (smtp-server) that accepts everything and only counts. It runs in its own
// process, so the mail the server dispatches during the load costs the sink CPU, not the orchestrator's probe.
//
// smtp-server waits 100 ms before its greeting (to catch clients that talk too soon); with one SMTP session
// per message that pause, not Nyckel, would set the delivery rate. It is skipped here unless
// BENCH_SMTP_GREETING_MS asks for a pause (e.g. 100 for smtp-server's own, or a remote relay's latency).
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { serve } from '../lib/ipc.ts';

const greetingMs = Number(process.env.BENCH_SMTP_GREETING_MS ?? 0);

interface ConnectionInternals {
  _setListeners(done: () => void): void;
  connectionReady(): void;
  send(code: number, text: string, close?: boolean): void;
  name: string;
  _server: { options: { maxClients?: number }; connections: Set<unknown> };
}
const proto = SMTPConnection.prototype as unknown as ConnectionInternals & { init(): void };
if (typeof proto._setListeners === 'function' && typeof proto.connectionReady === 'function') {
  proto.init = function (this: ConnectionInternals) {
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      if (greetingMs > 0) setTimeout(() => this.connectionReady(), greetingMs).unref();
      else this.connectionReady();
    });
  };
} else {
  process.stderr.write('[smtp-sink] smtp-server internals changed: keeping its 100 ms greeting pause\n');
}

let received = 0;
let sessions = 0;
let withCode = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  // A real MTA looks the client up; here that would only time the resolver, not Nyckel.
  disableReverseLookup: true,
  maxClients: 10_000,
  onConnect(_session, callback) {
    sessions++;
    callback();
  },
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      // Only a sanity check that the mails carry a 6-digit code (text part, before any soft line break).
      if (/Your code is: \d{6}\b/.test(Buffer.concat(chunks).toString('latin1'))) withCode++;
      received++;
      callback();
    });
  },
});

await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const address = server.server.address();
if (!address || typeof address === 'string') throw new Error('smtp sink did not bind a TCP port');
const port = address.port;

serve({
  info: async () => ({ port, url: `smtp://127.0.0.1:${port}`, greetingMs }),
  stats: async () => ({ received, sessions, withCode }),
});
