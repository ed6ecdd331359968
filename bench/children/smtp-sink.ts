// The SMTP relay for the benchmark's mail, on 127.0.0.1 in its own process: it accepts everything and only
// counts (messages, sessions, and messages carrying a 6-digit code).
//
// By default it is lib/lean-smtp.ts, a minimal receiving server. In production the relay runs on another
// machine; here it shares the 2 cores with Nyckel, and smtp-server spent about 0.1 ms of CPU per message —
// 8-10 % of the machine during the reset runs, none of it Nyckel's. BENCH_SMTP_SINK=smtp-server uses
// smtp-server instead (the receiving side the test suite uses), to compare.
//
// smtp-server waits 100 ms before its greeting (to catch clients that talk too soon); with one SMTP session
// per message that pause, not Nyckel, would set the delivery rate. Neither sink pauses unless
// BENCH_SMTP_GREETING_MS asks for it (e.g. 100 for smtp-server's own, or a remote relay's latency).
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { serve } from '../lib/ipc.ts';
import { createLeanSmtpServer, type LeanSmtpCounters } from '../lib/lean-smtp.ts';

const greetingMs = Number(process.env.BENCH_SMTP_GREETING_MS ?? 0);

// Only a sanity check that the mails carry a 6-digit code (text part, before any soft line break).
const CODE = /Your code is: \d{6}\b/;
const counters: LeanSmtpCounters = { sessions: 0, received: 0, withCode: 0 };
const kind = process.env.BENCH_SMTP_SINK ?? 'lean';
if (kind !== 'lean' && kind !== 'smtp-server') throw new Error(`BENCH_SMTP_SINK must be lean or smtp-server, not ${kind}`);
// CHUNKING (BDAT) is offered unless BENCH_SMTP_CHUNKING=0 (then Nyckel's client sends with DATA, as to smtp-server).
const chunking = process.env.BENCH_SMTP_CHUNKING !== '0';
const server = kind === 'lean' ? createLeanSmtpServer({ greetingMs, codePattern: CODE, counters, chunking }) : smtpServerSink().server;

await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const address = server.address();
if (!address || typeof address === 'string') throw new Error('smtp sink did not bind a TCP port');
const port = address.port;

serve({
  info: async () => ({ port, url: `smtp://127.0.0.1:${port}`, greetingMs, kind }),
  stats: async () => ({ ...counters }),
});

interface ConnectionInternals {
  _setListeners(done: () => void): void;
  connectionReady(): void;
  send(code: number, text: string, close?: boolean): void;
  name: string;
  _server: { options: { maxClients?: number }; connections: Set<unknown> };
}

/** smtp-server, with its greeting pause replaced by BENCH_SMTP_GREETING_MS. */
function smtpServerSink(): SMTPServer {
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
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // A real MTA looks the client up; here that would only time the resolver, not Nyckel.
    disableReverseLookup: true,
    maxClients: 10_000,
    onConnect(_session, callback) {
      counters.sessions++;
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (CODE.test(Buffer.concat(chunks).toString('latin1'))) counters.withCode++;
        counters.received++;
        callback();
      });
    },
  });
}
