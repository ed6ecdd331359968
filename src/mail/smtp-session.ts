// One SMTP session (RFC 5321) as the mail dispatcher needs it: connect, EHLO, STARTTLS (RFC 3207) when offered,
// AUTH PLAIN or LOGIN (RFC 4954), then any number of one-recipient transactions. With PIPELINING (RFC 2920)
// MAIL, RCPT and DATA leave in one write, and several sends may share the session: the next transaction's
// commands follow the previous message's body at once (RFC 2920 allows the MAIL of a new transaction in the
// same group as the end of the previous message's data). Writes of one turn of the event loop leave together,
// so under load a message costs one write and one read on each side instead of two. Without PIPELINING the
// transactions take turns, one command at a time. smtp-transport.ts keeps several sessions open.
//
// With CHUNKING (RFC 3030) as well, a message needs no 354 before its body: RSET, MAIL, RCPT and "BDAT <size>
// LAST" with the body behind it leave at once, and every send on the session follows the previous one on the
// wire without waiting for a reply, so the messages of one turn of the event loop leave in one write and their
// replies come back in one read (Postfix >= 3.4, Exim >= 4.88 and Exchange offer both). Each transaction
// starts with RSET, so whatever became of the one before it on the wire (a refused MAIL, RCPT or BDAT leaves
// the receiver's state up to the receiver), nothing of it carries into this one: a body can only go to the
// recipient of its own envelope. A message counts as accepted only when MAIL, RCPT and BDAT were all accepted.
//
// Safety: TLS certificates are verified (Node's defaults, host name included); credentials are only sent over
// TLS, or to a relay on this machine (loopback); every server reply is read in order, so a pipelined failure
// (MAIL or RCPT refused) is seen before the body is sent, and the transaction is reset (RSET) before the next
// one writes anything.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { hostname } from 'node:os';

export interface SmtpSessionOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (smtps://, port 465). Otherwise STARTTLS is used when offered. */
  secure: boolean;
  auth?: { user: string; pass: string };
  /** Extra TLS options (a private CA, for instance). Certificates are always verified. */
  tls?: ConnectionOptions;
  /** Milliseconds: TCP (and TLS) connect, the server's greeting, and any one reply. */
  timeouts: { connect: number; greeting: number; reply: number };
}

/** A failed SMTP step; `responseCode` is the server's reply code when there was one (4xx: try later). */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'SmtpError';
  }
}

interface Reply {
  code: number;
  lines: string[];
}

const CRLF = '\r\n';
const EHLO_NAME = ((name: string) => (/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/i.test(name) && name.includes('.') ? name : '[127.0.0.1]'))(hostname());
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1)$/i;

/** Credentials may cross an encrypted connection, or stay on this machine; nothing else. */
export function mayAuthenticate(host: string, encrypted: boolean): boolean {
  return encrypted || LOOPBACK.test(host);
}

/** Dot-stuffing (RFC 5321 4.5.2): a line that starts with "." gets another; the body ends with CRLF "." CRLF. */
const DOT = Buffer.from('.');
const END = Buffer.from(`.${CRLF}`);
const CRLF_END = Buffer.from(`${CRLF}.${CRLF}`);

export function dataBlock(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  if (raw[0] === 0x2e) parts.push(DOT);
  for (let at = raw.indexOf('\n.'); at !== -1; at = raw.indexOf('\n.', at + 2)) {
    parts.push(raw.subarray(from, at + 1), DOT);
    from = at + 1;
  }
  parts.push(raw.subarray(from));
  const endsWithCrlf = raw.length >= 2 && raw[raw.length - 2] === 0x0d && raw[raw.length - 1] === 0x0a;
  parts.push(endsWithCrlf ? END : CRLF_END);
  return Buffer.concat(parts);
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

export class SmtpSession {
  private socket!: Socket | TLSSocket;
  private buffered = '';
  private partial: string[] = [];
  private readonly waiting: Array<{ resolve(r: Reply): void; reject(e: Error): void }> = [];
  private features = new Set<string>();
  private authMethods = new Set<string>();
  private failure: Error | undefined;
  /** Messages accepted by the server on this session. */
  delivered = 0;
  /** Opens when the transaction before may be followed on the wire: its body written, or it ended. */
  private turn: Promise<void> = Promise.resolve();
  private corked = false;

  private constructor(private readonly opts: SmtpSessionOptions) {}

  /** Connects, greets, upgrades to TLS when offered and authenticates: a session ready for transactions. */
  static async open(opts: SmtpSessionOptions): Promise<SmtpSession> {
    const session = new SmtpSession(opts);
    try {
      await session.connect();
      return session;
    } catch (err) {
      session.destroy();
      throw err;
    }
  }

  get usable(): boolean {
    return !this.failure && !this.socket.destroyed;
  }

  /** Whether several sends may share this session (the server offers PIPELINING). */
  get pipelining(): boolean {
    return this.features.has('PIPELINING');
  }

  /** Whether sends go as BDAT chunks, none waiting for another (the server offers CHUNKING and PIPELINING). */
  get chunking(): boolean {
    return this.features.has('CHUNKING') && this.features.has('PIPELINING');
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  /**
   * Sends one message to one recipient. Resolves once the server accepted it (250 after the body). A refusal
   * rejects with the server's code and leaves the session usable; a broken connection rejects and leaves it
   * unusable. `bodySent` tells the caller whether the server may have the message (unknown outcome). Several
   * sends may be in flight on one session: they go on the wire in the order they were called.
   */
  async send(from: string, to: string, raw: Buffer, progress: { bodySent: boolean }): Promise<void> {
    const utf8 = !isAscii(from) || !isAscii(to);
    if (utf8 && !this.features.has('SMTPUTF8')) throw new SmtpError('the SMTP server does not accept internationalized addresses (no SMTPUTF8)', 'EENVELOPE', 553);
    if (this.chunking) return this.chunked(from, to, utf8, raw, progress);
    const before = this.turn;
    let next!: () => void;
    this.turn = new Promise<void>((resolve) => (next = resolve));
    try {
      await before;
      await this.transaction(from, to, utf8, raw, progress, next);
    } finally {
      next();
    }
  }

  /** One transaction; calls `followed` as soon as the next transaction may be written behind it. */
  private async transaction(from: string, to: string, utf8: boolean, raw: Buffer, progress: { bodySent: boolean }, followed: () => void): Promise<void> {
    const commands = [`MAIL FROM:<${from}>${utf8 ? ' SMTPUTF8' : ''}`, `RCPT TO:<${to}>`, 'DATA'];
    const pipelining = this.features.has('PIPELINING');
    const replies: Reply[] = [];
    if (pipelining) {
      // All three replies awaited together: when one fails, the others' rejections are handled too.
      const pending = Promise.all(commands.map(() => this.nextReply()));
      this.write(commands.map((c) => c + CRLF).join(''));
      replies.push(...(await pending));
    } else {
      for (const c of commands) {
        const reply = await this.command(c);
        replies.push(reply);
        if (reply.code >= 400) break;
      }
    }
    const [mail, rcpt, data] = replies as [Reply, Reply?, Reply?];
    const refused = mail.code !== 250 ? ['MAIL FROM', mail] : !rcpt || (rcpt.code !== 250 && rcpt.code !== 251) ? ['RCPT TO', rcpt] : !data || data.code !== 354 ? ['DATA', data] : undefined;
    if (refused) {
      const [step, reply] = refused as [string, Reply | undefined];
      // A server that said 354 to DATA after refusing the envelope waits for a body: end it empty.
      if (data?.code === 354) await this.command('.').catch(() => undefined);
      await this.reset();
      throw replyError(step, reply ?? mail);
    }
    progress.bodySent = true;
    const accepted = this.exchange(dataBlock(raw));
    // Pipelining: the next transaction's commands may follow this body in the same write.
    if (pipelining) followed();
    const reply = await accepted;
    if (reply.code !== 250) throw replyError('message', reply);
    this.delivered++;
  }

  /**
   * One transaction as a BDAT chunk (see the header), written at once behind whatever this session wrote
   * before. `bodySent` turns true when the RSET is accepted: a session that ends before that (unanswered, or
   * answered 421 as a server drops an idle session) had been dropped, and the caller may try a new one. (A server that took the
   * message and lost the connection before any of its replies got out makes that a second delivery: at least
   * once, as SMTP itself is.)
   */
  private async chunked(from: string, to: string, utf8: boolean, raw: Buffer, progress: { bodySent: boolean }): Promise<void> {
    const replies = this.replies(4);
    this.write(`RSET${CRLF}MAIL FROM:<${from}>${utf8 ? ' SMTPUTF8' : ''}${CRLF}RCPT TO:<${to}>${CRLF}BDAT ${raw.length} LAST${CRLF}`);
    this.write(raw);
    void replies[0]!.then((r) => void (r.code === 250 && (progress.bodySent = true)), () => undefined);
    const [rset, mail, rcpt, bdat] = (await Promise.all(replies)) as [Reply, Reply, Reply, Reply];
    if (rset.code !== 250) {
      // Not even a reset (an idle session's 421 answers it, for one): the session is of no further use.
      this.destroy();
      throw replyError('RSET', rset);
    }
    const refused = mail.code !== 250 ? ['MAIL FROM', mail] : rcpt.code !== 250 && rcpt.code !== 251 ? ['RCPT TO', rcpt] : bdat.code !== 250 ? ['message', bdat] : undefined;
    if (refused) throw replyError(refused[0] as string, refused[1] as Reply);
    this.delivered++;
  }

  /** Says goodbye and closes; never throws. */
  async quit(): Promise<void> {
    if (this.usable) await this.command('QUIT').catch(() => undefined);
    this.destroy();
  }

  destroy(): void {
    this.fail(new SmtpError('SMTP session closed', 'ECONNECTION'));
    this.socket?.destroy();
  }

  // ---- connection set-up ------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    const { host, port, secure, timeouts } = this.opts;
    const servername = isIP(host) ? undefined : host;
    this.attach(await opened(secure ? tlsConnect({ ...this.opts.tls, host, port, servername }) : netConnect({ host, port }), secure, timeouts.connect));
    const greeting = await this.nextReply(timeouts.greeting);
    if (greeting.code !== 220) throw replyError('greeting', greeting);
    await this.ehlo();
    if (!secure && this.features.has('STARTTLS')) {
      const ready = await this.command('STARTTLS');
      if (ready.code !== 220) throw replyError('STARTTLS', ready);
      const plain = this.socket as Socket;
      plain.removeAllListeners('data');
      this.attach(await opened(tlsConnect({ ...this.opts.tls, socket: plain, host, servername }), true, timeouts.connect));
      await this.ehlo();
    }
    if (this.opts.auth) await this.authenticate(this.opts.auth);
  }

  private async ehlo(): Promise<void> {
    const reply = await this.command(`EHLO ${EHLO_NAME}`);
    if (reply.code !== 250) {
      const helo = await this.command(`HELO ${EHLO_NAME}`);
      if (helo.code !== 250) throw replyError('HELO', helo);
      this.features = new Set();
      return;
    }
    const keywords = reply.lines.slice(1).map((l) => l.trim().toUpperCase().split(/\s+/));
    this.features = new Set(keywords.map((k) => k[0]!));
    this.authMethods = new Set(keywords.filter((k) => k[0] === 'AUTH').flatMap((k) => k.slice(1)));
  }

  private async authenticate({ user, pass }: { user: string; pass: string }): Promise<void> {
    if (!mayAuthenticate(this.opts.host, this.encrypted)) {
      throw new SmtpError('refusing to send SMTP credentials over an unencrypted connection (the server offers no STARTTLS)', 'ETLS');
    }
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    let reply: Reply;
    if (this.authMethods.has('PLAIN') || !this.authMethods.has('LOGIN')) {
      reply = await this.command(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`);
    } else {
      reply = await this.command('AUTH LOGIN');
      if (reply.code === 334) reply = await this.command(b64(user));
      if (reply.code === 334) reply = await this.command(b64(pass));
    }
    if (reply.code !== 235) throw Object.assign(replyError('AUTH', reply), { code: 'EAUTH' });
  }

  private async reset(): Promise<void> {
    const reply = await this.command('RSET').catch(() => undefined);
    if (!reply || reply.code !== 250) this.destroy();
  }

  // ---- replies ------------------------------------------------------------------------------------------

  private attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk.toString('latin1')));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new SmtpError('the SMTP server closed the connection', 'ECONNECTION')));
  }

  private read(text: string): void {
    this.buffered += text;
    for (let at = this.buffered.indexOf('\n'); at !== -1; at = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, at).replace(/\r$/, '');
      this.buffered = this.buffered.slice(at + 1);
      this.partial.push(line.slice(4));
      if (line[3] === '-') continue;
      const code = Number(line.slice(0, 3));
      const reply = { code: Number.isInteger(code) ? code : 0, lines: this.partial };
      this.partial = [];
      const waiter = this.waiting.shift();
      // A reply nobody asked for (421 before closing an idle session): the session is over.
      if (waiter) waiter.resolve(reply);
      else this.fail(new SmtpError(`unexpected SMTP reply ${reply.code}`, 'EPROTOCOL', reply.code));
    }
    if (this.buffered.length > 64 * 1024) this.fail(new SmtpError('SMTP reply line too long', 'EPROTOCOL'));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.socket?.destroy();
  }

  /** The next `n` replies, under one timer: the last must arrive within the reply timeout. */
  private replies(n: number): Array<Promise<Reply>> {
    if (this.failure) {
      const failed = Promise.reject(this.failure);
      failed.catch(() => undefined);
      return Array.from({ length: n }, () => failed);
    }
    const all = Array.from({ length: n }, () => new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })));
    const last = withTimeout(all[n - 1]!, this.opts.timeouts.reply, 'SMTP reply timeout', { onTimeout: () => this.destroy() });
    last.catch(() => undefined);
    return [...all.slice(0, -1), last];
  }

  private nextReply(timeoutMs = this.opts.timeouts.reply): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    return withTimeout(reply, timeoutMs, 'SMTP reply timeout', { onTimeout: () => this.destroy() });
  }

  /**
   * Writes; a session already failed rejects the waiting replies instead (its caller sees that failure).
   * Everything written in one turn of the event loop leaves in one system call (cork until setImmediate): a
   * body and the next transaction's commands, written by two sends as one read of replies resolves them.
   */
  private write(data: string | Buffer): void {
    if (this.failure) return;
    if (!this.corked) {
      this.corked = true;
      const socket = this.socket;
      socket.cork();
      setImmediate(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    this.socket.write(data);
  }

  /** Writes `data` and resolves to the reply it gets. */
  private exchange(data: string | Buffer): Promise<Reply> {
    const reply = this.nextReply();
    this.write(data);
    return reply;
  }

  private command(line: string): Promise<Reply> {
    return this.exchange(line + CRLF);
  }
}

function replyError(step: string, reply: Reply): SmtpError {
  const text = reply.lines.join(' ').slice(0, 300);
  return new SmtpError(`${step} refused: ${reply.code} ${text}`, 'EENVELOPE', reply.code);
}

/** The socket once connected (TLS: once the handshake is done and the certificate verified), within `ms`. */
function opened<S extends Socket | TLSSocket>(socket: S, tls: boolean, ms: number): Promise<S> {
  const ready = new Promise<S>((resolve, reject) => {
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve(socket));
    socket.once('error', reject);
  });
  return withTimeout(ready, ms, tls ? 'TLS connection timeout' : 'Connection timeout', { onTimeout: () => socket.destroy() });
}

/** Rejects with ETIMEDOUT after `ms`, and runs `onTimeout` then (to close what would now be out of step). */
function withTimeout<T>(p: Promise<T>, ms: number, message: string, hooks: { onTimeout?(): void } = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SmtpError(message, 'ETIMEDOUT'));
      hooks.onTimeout?.();
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
