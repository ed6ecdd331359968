// A receiving SMTP server (RFC 5321) that accepts every message and counts it, written for the benchmark's
// sink. It speaks what a relay must: greeting, EHLO/HELO (offering PIPELINING, 8BITMIME, SIZE, and CHUNKING
// unless told not to), MAIL, RCPT, DATA (the body ends at CRLF "." CRLF, which may arrive split across reads),
// BDAT (RFC 3030: a chunk of exactly the size given, consumed even when the command is refused), RSET, NOOP, QUIT; commands out of
// order get 503, unknown ones 500; pipelined commands are answered in order, all replies of one read in one
// write. It does nothing a relay does after accepting (no queue, no headers parsed), so its CPU per message is
// a small part of what smtp-server spends; the relay is not what the benchmark measures.
import { createServer, type Server, type Socket } from 'node:net';

export interface LeanSmtpCounters {
  sessions: number;
  received: number;
  /** Messages whose body matched `codePattern`. */
  withCode: number;
}

const END_OF_DATA = Buffer.from('\r\n.\r\n');
const CRLF = Buffer.from('\r\n');

export function createLeanSmtpServer(opts: { greetingMs: number; codePattern: RegExp; counters: LeanSmtpCounters; chunking?: boolean }): Server {
  const ehlo = `250-sink.bench.example\r\n250-PIPELINING\r\n${opts.chunking === false ? '' : '250-CHUNKING\r\n'}250-8BITMIME\r\n250 SIZE 10485760\r\n`;
  const { counters } = opts;
  return createServer((socket: Socket) => {
    counters.sessions++;
    socket.setNoDelay(true);
    let state: 'ehlo' | 'mail' | 'rcpt' | 'data-ready' | 'data' | 'chunks' = 'ehlo';
    // A BDAT chunk being read: bytes still to come, its reply, and whether it ends the message.
    let chunk: { left: number; reply: string; last: boolean; keep: boolean } | undefined;
    let line = '';
    let body: Buffer[] = [];
    // The last bytes of the data read so far (at most the marker's length - 1).
    let tail: Buffer = Buffer.alloc(0);
    const greet = () => socket.write('220 sink.bench.example ESMTP\r\n');
    if (opts.greetingMs > 0) setTimeout(greet, opts.greetingMs).unref();
    else greet();

    const command = (text: string): string => {
      const verb = text.slice(0, 4).toUpperCase();
      switch (verb) {
        case 'EHLO':
          state = 'mail';
          return ehlo;
        case 'HELO':
          state = 'mail';
          return '250 sink.bench.example\r\n';
        case 'MAIL':
          if (state !== 'mail') return '503 5.5.1 Bad sequence of commands\r\n';
          state = 'rcpt';
          return '250 2.1.0 Ok\r\n';
        case 'RCPT':
          if (state !== 'rcpt' && state !== 'data-ready') return '503 5.5.1 Bad sequence of commands\r\n';
          state = 'data-ready';
          return '250 2.1.5 Ok\r\n';
        case 'DATA':
          if (state !== 'data-ready') return '503 5.5.1 Bad sequence of commands\r\n';
          state = 'data';
          body = [];
          tail = CRLF; // the DATA line's own CRLF: an empty body is just "." CRLF
          return '354 End data with <CR><LF>.<CR><LF>\r\n';
        case 'BDAT': {
          const m = /^BDAT (\d{1,9})( LAST)?$/i.exec(text);
          if (!m || opts.chunking === false) return '501 5.5.4 Syntax: BDAT size [LAST]\r\n';
          const ok = state === 'data-ready' || state === 'chunks';
          if (ok && state === 'data-ready') body = [];
          const last = m[2] !== undefined;
          chunk = { left: Number(m[1]), last, keep: ok, reply: !ok ? (state === 'rcpt' ? '554 5.5.1 No valid recipients\r\n' : '503 5.5.1 Bad sequence of commands\r\n') : last ? '250 2.0.0 Ok: queued\r\n' : `250 2.0.0 ${m[1]} octets received\r\n` };
          if (ok) state = 'chunks';
          if (!ok && state === 'rcpt') state = 'mail';
          return '';
        }
        case 'RSET':
          if (state !== 'ehlo') state = 'mail';
          return '250 2.0.0 Ok\r\n';
        case 'NOOP':
          return '250 2.0.0 Ok\r\n';
        case 'QUIT':
          return '221 2.0.0 Bye\r\n';
        default:
          return '500 5.5.2 Command not recognized\r\n';
      }
    };

    const accept = () => {
      const message = Buffer.concat(body).toString('latin1');
      counters.received++;
      if (opts.codePattern.test(message)) counters.withCode++;
      body = [];
      state = 'mail';
    };

    socket.on('data', (data: Buffer) => {
      let replies = '';
      let quit = false;
      let at = 0;
      while (!quit && (at < data.length || (chunk && chunk.left === 0))) {
        if (chunk) {
          // A BDAT chunk: exactly its size, then its reply.
          const take = Math.min(chunk.left, data.length - at);
          if (chunk.keep) body.push(data.subarray(at, at + take));
          at += take;
          chunk.left -= take;
          if (chunk.left > 0) break;
          const done = chunk;
          chunk = undefined;
          replies += done.reply;
          if (done.keep && done.last) accept();
          continue;
        }
        if (state === 'data') {
          // The end marker may straddle reads: search the previous read's last bytes joined to this one.
          const rest = data.subarray(at);
          const hay = tail.length > 0 ? Buffer.concat([tail, rest]) : rest;
          const end = hay.indexOf(END_OF_DATA);
          if (end === -1) {
            body.push(rest);
            tail = hay.subarray(Math.max(0, hay.length - (END_OF_DATA.length - 1)));
            break;
          }
          const consumed = end + END_OF_DATA.length - tail.length;
          body.push(rest.subarray(0, consumed));
          at += consumed;
          accept();
          replies += '250 2.0.0 Ok: queued\r\n';
          continue;
        }
        const nl = data.indexOf(0x0a, at);
        if (nl === -1) {
          line += data.toString('latin1', at);
          if (line.length > 4096) {
            replies += '500 5.5.2 Line too long\r\n';
            quit = true;
          }
          break;
        }
        const text = (line + data.toString('latin1', at, nl)).replace(/\r$/, '');
        line = '';
        at = nl + 1;
        const reply = command(text);
        replies += reply;
        if (reply.startsWith('221')) quit = true;
      }
      if (quit) socket.end(replies);
      else if (replies) socket.write(replies);
    });
    socket.on('error', () => socket.destroy());
  });
}
