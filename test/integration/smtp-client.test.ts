// The SMTP client (mail/smtp-session.ts, pooled by mail/smtp-transport.ts) against real SMTP servers on
// 127.0.0.1: smtp-server for the protocol, TLS and AUTH, and a scripted server where the test must see the
// bytes on the wire. test/fixtures/tls holds a self-signed certificate for localhost/127.0.0.1 made for these
// tests only; it is trusted only where a test passes it as `ca`.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { createSmtpTransport, type SmtpTransportOptions } from '../../src/mail/smtp-transport.ts';
import { dataBlock, mayAuthenticate } from '../../src/mail/smtp-session.ts';

const tlsDir = new URL('../fixtures/tls/', import.meta.url);
const cert = readFileSync(new URL('localhost.crt', tlsDir));
const key = readFileSync(new URL('localhost.key', tlsDir));

interface Received {
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(options: SMTPServerOptions = {}) {
  const received: Received[] = [];
  const auths: Array<{ method: string; username: string | undefined; password: string | null | undefined }> = [];
  let sessions = 0;
  const srv = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    onConnect(_s, cb) {
      sessions++;
      cb();
    },
    onAuth(auth, _s, cb) {
      auths.push({ method: auth.method, username: auth.username, password: auth.password });
      if (auth.username === 'mailer' && auth.password === 'p@ss word') return cb(null, { user: 'mailer' });
      cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), secure: session.secure, user: session.user as string | undefined });
        cb();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.server.address() as { port: number }).port;
  cleanups.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
  return { port, received, auths, sessions: () => sessions };
}

function transport(url: string, options: SmtpTransportOptions = {}) {
  const t = createSmtpTransport(url, 'Contoso <no-reply@contoso.example>', options);
  cleanups.push(() => t.close());
  return t;
}

const mail = (to: string, text = 'Your code is: 123456') => ({ to, subject: 'Your code', text, html: `<p>${text}</p>` });

describe('SMTP client: protocol', () => {
  it('sends MAIL, RCPT and DATA in one write when the server offers PIPELINING, one at a time when not', async () => {
    for (const pipelining of [true, false]) {
      const wire = await scriptedServer({ pipelining });
      const t = transport(`smtp://127.0.0.1:${wire.port}`);
      await t.send(mail('alice@example.com'));
      await t.send(mail('bob@example.com'));
      const envelopes = wire.reads.filter((r) => r.startsWith('MAIL FROM'));
      if (pipelining) expect(envelopes).toEqual(['MAIL FROM:<no-reply@contoso.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n', 'MAIL FROM:<no-reply@contoso.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n']);
      else expect(envelopes).toEqual(['MAIL FROM:<no-reply@contoso.example>\r\n', 'MAIL FROM:<no-reply@contoso.example>\r\n']);
      expect(wire.messages).toBe(2);
      expect(wire.connections).toBe(1);
    }
  });

  it('carries two sends at once on a pipelining session: the next commands follow the previous body in one write', async () => {
    const wire = await scriptedServer({ pipelining: true });
    const t = transport(`smtp://127.0.0.1:${wire.port}`, { poolSize: 1 });
    expect(t.capacity).toBe(2);
    await Promise.all(['alice', 'bob', 'carol'].map((n) => t.send(mail(`${n}@example.com`))));
    expect(wire.messages).toBe(3);
    expect(wire.connections).toBe(1);
    const joined = wire.chunks.filter((c) => /\r\n\.\r\nMAIL FROM:<no-reply@contoso\.example>\r\nRCPT TO:<\w+@example\.com>\r\nDATA\r\n$/.test(c));
    expect(joined).toHaveLength(2); // bob's envelope behind alice's body, carol's behind bob's
  });

  it('without PIPELINING, sends on one session take turns: nothing follows a body before its reply', async () => {
    const wire = await scriptedServer({ pipelining: false });
    const t = transport(`smtp://127.0.0.1:${wire.port}`, { poolSize: 1 });
    await Promise.all(['alice', 'bob', 'carol'].map((n) => t.send(mail(`${n}@example.com`))));
    expect(wire.messages).toBe(3);
    expect(wire.chunks.some((c) => c.includes('MAIL FROM') && c.includes('\r\n.\r\n'))).toBe(false);
  });

  it('with CHUNKING, the sends of one turn leave in one write as BDAT chunks, each behind a RSET, and their replies come back together', async () => {
    const wire = await scriptedServer({ pipelining: true, chunking: true });
    const t = transport(`smtp://127.0.0.1:${wire.port}`, { poolSize: 1 });
    await t.send(mail('first@example.com')); // opens the session; the transport now knows it offers CHUNKING
    expect(t.capacity).toBe(16);
    const names = Array.from({ length: 10 }, (_, i) => `user${i}`);
    await Promise.all(names.map((n) => t.send(mail(`${n}@example.com`, `Your code is: ${n}`))));
    expect(wire.connections).toBe(1);
    const batch = wire.chunks.filter((c) => c.includes('user0@example.com'));
    expect(batch).toHaveLength(1); // all ten in the read that carried the first
    expect(batch[0]!.match(/RSET\r\nMAIL FROM:<no-reply@contoso\.example>\r\nRCPT TO:<user\d@example\.com>\r\nBDAT \d+ LAST\r\n/g)).toHaveLength(10);
    expect(wire.reads.join('')).not.toMatch(/\r\nDATA\r\n/);
    // Each body went to its own recipient, whole: the raw message, no dot-stuffing and no end marker.
    expect(wire.delivered.slice(1).map((d) => [d.to, /Your code is: (\w+)/.exec(d.body)?.[1]])).toEqual(names.map((n) => [`${n}@example.com`, n]));
    expect(wire.delivered.every((d) => d.body.endsWith('--\r\n') && !d.body.endsWith('\r\n.\r\n'))).toBe(true);
  });

  it('with CHUNKING, a refused recipient fails only its own message, and its body reaches nobody', async () => {
    // The scripted relay keeps a refused transaction open: without the RSET at the head of each transaction,
    // the next message's MAIL would be refused and its RCPT would join the old envelope.
    const wire = await scriptedServer({ pipelining: true, chunking: true, refuse: /^gone/ });
    const t = transport(`smtp://127.0.0.1:${wire.port}`, { poolSize: 1 });
    await t.send(mail('first@example.com'));
    const names = ['bob', 'gone1', 'carol', 'gone2', 'dave'];
    const outcomes = await Promise.allSettled(names.map((n) => t.send(mail(`${n}@example.com`, `Your code is: ${n}`))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ responseCode: 550, message: expect.stringMatching(/RCPT TO refused: 550/) });
    expect(wire.delivered.map((d) => [d.to, /Your code is: (\w+)/.exec(d.body)?.[1]])).toEqual([
      ['first@example.com', '123456'],
      ['bob@example.com', 'bob'],
      ['carol@example.com', 'carol'],
      ['dave@example.com', 'dave'],
    ]);
    expect(wire.connections).toBe(1);
  });

  it('with CHUNKING, sends on a session that dies before accepting any of them are tried once on a new one', async () => {
    // Closed without a word, or with a 421 to the first command (as a relay drops an idle session).
    for (const dropReply of [undefined, '421 4.4.2 idle too long\r\n']) {
      const wire = await scriptedServer({ pipelining: true, chunking: true, dropFirstAfter: 1, ...(dropReply ? { dropReply } : {}) });
      const t = transport(`smtp://127.0.0.1:${wire.port}`, { poolSize: 1 });
      await t.send(mail('first@example.com'));
      await Promise.all(['bob', 'carol'].map((n) => t.send(mail(`${n}@example.com`))));
      expect(wire.delivered.map((d) => d.to).sort()).toEqual(['bob@example.com', 'carol@example.com', 'first@example.com']);
      expect(wire.connections).toBe(2);
    }
  });

  it('dot-stuffs the body, so a line starting with "." arrives intact and cannot end the message early', async () => {
    const s = await server({ disabledCommands: ['STARTTLS'] });
    const t = transport(`smtp://127.0.0.1:${s.port}`);
    await t.send(mail('alice@example.com', 'first line\n.\n.hidden line\nlast line'));
    expect(s.received).toHaveLength(1);
    expect(s.received[0]!.raw).toContain('first line\r\n.\r\n.hidden line\r\nlast line');
    expect(dataBlock(Buffer.from('.a\r\nb\r\n.c\r\n'))).toEqual(Buffer.from('..a\r\nb\r\n..c\r\n.\r\n'));
    expect(dataBlock(Buffer.from('no final line break'))).toEqual(Buffer.from('no final line break\r\n.\r\n'));
  });

  it('a refused recipient fails only its message; the session is reset and carries the next one', async () => {
    const s = await server({
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _s, cb) {
        if (address.address.startsWith('gone')) return cb(Object.assign(new Error('No such user'), { responseCode: 550 }));
        cb();
      },
    });
    const t = transport(`smtp://127.0.0.1:${s.port}`, { poolSize: 1 });
    await expect(t.send(mail('gone@example.com'))).rejects.toMatchObject({ responseCode: 550, message: expect.stringMatching(/RCPT TO refused: 550/) });
    await t.send(mail('alice@example.com'));
    expect(s.received.map((r) => r.to)).toEqual([['alice@example.com']]);
    // Pipelined behind and ahead of others on the same session: only the refused one fails.
    const outcomes = await Promise.allSettled(['bob', 'gone2', 'carol', 'dave'].map((n) => t.send(mail(`${n}@example.com`))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(s.received.map((r) => r.to[0])).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    expect(s.sessions()).toBe(1);
  });

  it('opens a new session when the server closed an idle one', async () => {
    let closed = 0;
    const s = await server({ disabledCommands: ['STARTTLS'], socketTimeout: 1000, onClose: () => void closed++ });
    const t = transport(`smtp://127.0.0.1:${s.port}`);
    await t.send(mail('alice@example.com'));
    await vi.waitFor(() => expect(closed).toBe(1), { timeout: 10_000, interval: 50 }); // the server dropped it
    await t.send(mail('bob@example.com'));
    expect(s.received.map((r) => r.to)).toEqual([['alice@example.com'], ['bob@example.com']]);
    expect(s.sessions()).toBe(2);
  });

  it('gives up on a server that stops answering, within the reply timeout', async () => {
    // Silent after the greeting (EHLO unanswered), and silent after EHLO (three pipelined commands unanswered:
    // every one of their replies fails, and none of those failures may go unhandled).
    for (const silentAfter of ['greeting', 'ehlo'] as const) {
      const wire = await scriptedServer({ pipelining: true, silentAfter });
      const t = transport(`smtp://127.0.0.1:${wire.port}`, { timeouts: { reply: 300 } });
      const started = Date.now();
      await expect(t.send(mail('alice@example.com'))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 400)); // the other replies' timers have fired too
    }
  });

  it('reports a server that is not there with the socket error', async () => {
    const port = await closedPort();
    await expect(transport(`smtp://127.0.0.1:${port}`).send(mail('alice@example.com'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('SMTP client: TLS and credentials', () => {
  it('upgrades with STARTTLS when offered, verifies the certificate, then authenticates', async () => {
    const s = await server({ key, cert, authMethods: ['PLAIN', 'LOGIN'] });
    const t = transport(`smtp://mailer:${encodeURIComponent('p@ss word')}@localhost:${s.port}`, { tls: { ca: cert } });
    await t.send(mail('alice@example.com'));
    expect(s.auths).toEqual([{ method: 'PLAIN', username: 'mailer', password: 'p@ss word' }]);
    expect(s.received).toMatchObject([{ to: ['alice@example.com'], secure: true, user: 'mailer' }]);
  });

  it('speaks TLS from the first byte with smtps://, and uses AUTH LOGIN when that is all the server offers', async () => {
    const s = await server({ secure: true, key, cert, authMethods: ['LOGIN'] });
    const t = transport(`smtps://mailer:${encodeURIComponent('p@ss word')}@127.0.0.1:${s.port}`, { tls: { ca: cert } });
    await t.send(mail('alice@example.com'));
    expect(s.auths).toEqual([{ method: 'LOGIN', username: 'mailer', password: 'p@ss word' }]);
    expect(s.received).toMatchObject([{ secure: true, user: 'mailer' }]);
  });

  it('refuses a certificate nobody trusts, before any credential or message is sent', async () => {
    const s = await server({ key, cert });
    const t = transport(`smtp://mailer:secret@localhost:${s.port}`);
    await expect(t.send(mail('alice@example.com'))).rejects.toThrow(/self[- ]signed/i);
    expect(s.auths).toEqual([]);
    expect(s.received).toEqual([]);
  });

  it('a wrong password fails the send with the server reply, and nothing is delivered', async () => {
    const s = await server({ key, cert });
    const t = transport(`smtp://mailer:wrong@localhost:${s.port}`, { tls: { ca: cert } });
    await expect(t.send(mail('alice@example.com'))).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    expect(s.received).toEqual([]);
  });

  it('sends credentials only over TLS, or to a relay on this machine', async () => {
    expect(mayAuthenticate('smtp.example.com', false)).toBe(false);
    expect(mayAuthenticate('smtp.example.com', true)).toBe(true);
    for (const host of ['127.0.0.1', 'localhost', '::1']) expect(mayAuthenticate(host, false)).toBe(true);
    // A loopback relay without STARTTLS (a local Postfix, Mailpit): credentials stay on this machine.
    const s = await server({ disabledCommands: ['STARTTLS'], authMethods: ['PLAIN'] });
    await transport(`smtp://mailer:${encodeURIComponent('p@ss word')}@127.0.0.1:${s.port}`).send(mail('alice@example.com'));
    expect(s.received).toMatchObject([{ secure: false, user: 'mailer' }]);
  });
});

/** A minimal SMTP server that records each read from the socket, to see what the client put in one write. */
async function scriptedServer(opts: { pipelining: boolean; chunking?: boolean; refuse?: RegExp; silentAfter?: 'greeting' | 'ehlo'; dropFirstAfter?: number; dropReply?: string }) {
  // reads: what arrived outside a message body; chunks: every read as it arrived; delivered: recipient and
  // body of each message accepted (BDAT).
  const state = { port: 0, reads: [] as string[], chunks: [] as string[], messages: 0, connections: 0, delivered: [] as Array<{ to: string; body: string }> };
  const sockets = new Set<Socket>();
  const srv: Server = createServer((socket: Socket) => {
    state.connections++;
    const first = state.connections === 1;
    sockets.add(socket);
    let inData = false;
    let pending = '';
    // The open transaction (MAIL given; recipient once RCPT was accepted), as a relay keeps it.
    let envelope: { to?: string } | undefined;
    socket.write('220 scripted ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      // The first session dies with what arrives after its first `dropFirstAfter` messages, unanswered (a relay
      // that dropped it as the client wrote).
      // With `dropReply`, it answers that first (a 421, say) and closes.
      if (first && opts.dropFirstAfter !== undefined && state.messages >= opts.dropFirstAfter) return void (opts.dropReply ? socket.end(opts.dropReply) : socket.destroy());
      const text = chunk.toString('latin1');
      state.chunks.push(text);
      if (!inData) state.reads.push(text);
      if (opts.silentAfter === 'greeting') return;
      pending += text;
      let at: number;
      while ((at = pending.indexOf('\r\n')) !== -1) {
        const line = pending.slice(0, at);
        const bdat = /^BDAT (\d+) LAST$/.exec(line);
        if (bdat && opts.chunking) {
          const size = Number(bdat[1]);
          if (pending.length < at + 2 + size) break; // the rest of the chunk is still on its way
          const body = pending.slice(at + 2, at + 2 + size);
          pending = pending.slice(at + 2 + size);
          if (envelope?.to) {
            state.messages++;
            state.delivered.push({ to: envelope.to, body });
            socket.write('250 queued\r\n');
          } else socket.write(envelope ? '554 no valid recipients\r\n' : '503 bad sequence\r\n');
          // Deliberately keeps a refused transaction open (the MAIL stays given): the client's RSET must end it.
          if (envelope?.to) envelope = undefined;
          continue;
        }
        pending = pending.slice(at + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            envelope = undefined;
            state.messages++;
            socket.write('250 queued\r\n');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (opts.silentAfter === 'ehlo' && verb !== 'EHLO') continue;
        if (verb === 'EHLO') socket.write(`250-scripted\r\n${opts.pipelining ? '250-PIPELINING\r\n' : ''}${opts.chunking ? '250-CHUNKING\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'MAIL') {
          socket.write(envelope ? '503 nested MAIL\r\n' : '250 ok\r\n');
          envelope ??= {};
        } else if (verb === 'RCPT') {
          const to = /<(.*)>/.exec(line)?.[1] ?? '';
          if (!envelope) socket.write('503 need MAIL\r\n');
          else if (opts.refuse?.test(to)) socket.write('550 no such user\r\n');
          else {
            envelope.to = to;
            socket.write('250 ok\r\n');
          }
        } else if (verb === 'RSET') {
          envelope = undefined;
          socket.write('250 ok\r\n');
        }
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  state.port = (srv.address() as { port: number }).port;
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => srv.close(() => resolve()));
  });
  return state;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
