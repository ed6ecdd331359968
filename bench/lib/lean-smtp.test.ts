// The benchmark's SMTP sink counts what Nyckel delivers, so its counts must be right: every message once,
// whether it comes from Nyckel's own SMTP client or arrives in odd pieces.
import { connect, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpTransport } from '../../src/mail/smtp-transport.ts';
import { createLeanSmtpServer, type LeanSmtpCounters } from './lean-smtp.ts';

describe('lean SMTP sink', () => {
  const counters: LeanSmtpCounters = { sessions: 0, received: 0, withCode: 0 };
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createLeanSmtpServer({ greetingMs: 0, codePattern: /Your code is: \d{6}\b/, counters });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("counts each message Nyckel's SMTP client sends over pipelined, reused sessions", async () => {
    const before = { ...counters };
    const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`, 'Nyckel <no-reply@nyckel.test>', { poolSize: 2 });
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          transport.send({ to: `u${i}@example.com`, subject: 'Code', text: i % 3 === 0 ? 'No code here.\n.leading dot' : `Your code is: ${String(100000 + i)}`, html: '<p>x</p>' }),
        ),
      );
    } finally {
      transport.close();
    }
    expect(counters.received - before.received).toBe(30);
    expect(counters.withCode - before.withCode).toBe(20);
    expect(counters.sessions - before.sessions).toBe(2);
  });

  it('finds the end of data split across reads, takes an empty body, refuses commands out of order', async () => {
    const before = counters.received;
    const { socket, until, replies } = rawSession(port);
    await until(/^220 /);
    socket.write('MAIL FROM:<a@b.c>\r\n');
    await until(/503 /);
    socket.write('EHLO client.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n');
    await until(/354 /);
    socket.write('Subject: split\r\n\r\nYour code is: 123456\r');
    socket.write('\n.');
    socket.write('\r');
    await new Promise((r) => setTimeout(r, 20));
    expect(replies()).not.toMatch(/queued/);
    socket.write('\n');
    await until(/queued/);
    socket.write('MAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n');
    await until(/354[^]*354 /);
    socket.write('.\r\nQUIT\r\n');
    await until(/221 /);
    expect(replies().match(/queued/g)).toHaveLength(2);
    expect(counters.received - before).toBe(2);
    socket.destroy();
  });

  it('takes BDAT chunks of exactly their size, split across reads, and consumes a refused one', async () => {
    const before = { ...counters };
    const { socket, until, replies } = rawSession(port);
    await until(/^220 /);
    socket.write('EHLO client.test\r\n');
    await until(/CHUNKING/);
    // No recipient yet: the chunk (which looks like commands) is consumed and refused, nothing is counted.
    const sneaky = 'RSET\r\nQUIT\r\n';
    socket.write(`MAIL FROM:<a@b.c>\r\nBDAT ${sneaky.length} LAST\r\n${sneaky}`);
    await until(/554 /);
    const body = 'Subject: chunked\r\n\r\nYour code is: 654321\r\n';
    socket.write(`RSET\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 10\r\n${body.slice(0, 10)}BDAT ${body.length - 10} LAST\r\n${body.slice(10, 30)}`);
    await until(/10 octets/);
    expect(replies()).not.toMatch(/queued/);
    socket.write(body.slice(30));
    await until(/queued/);
    socket.write('MAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nBDAT 0 LAST\r\nQUIT\r\n');
    await until(/221 /);
    expect(replies().match(/queued/g)).toHaveLength(2);
    expect(replies()).not.toMatch(/^221 [^]*221 /m);
    expect(counters.received - before.received).toBe(2);
    expect(counters.withCode - before.withCode).toBe(1);
    socket.destroy();
  });
});

/** A raw client connection: `until` waits for the replies so far to match. */
function rawSession(port: number) {
  const socket = connect(port, '127.0.0.1');
  let replies = '';
  socket.on('data', (d) => (replies += d.toString('latin1')));
  const until = async (pattern: RegExp) => {
    for (let i = 0; i < 200 && !pattern.test(replies); i++) await new Promise((r) => setTimeout(r, 5));
    expect(replies).toMatch(pattern);
  };
  return { socket, until, replies: () => replies };
}
