// Quoted-printable (RFC 2045 6.7) straight from UTF-8 bytes into one Buffer, in a single pass: printable ASCII
// stays as it is, "=" and every other byte become =XX, a space or tab before a line break is encoded so no
// transport can strip it, and lines are broken softly ("=" CRLF) to at most 76 characters without splitting an
// escape. Hard line breaks must already be CRLF (a bare CR or LF is encoded). nodemailer's encoder plus its
// line wrapper cost about a third of building a code mail; this does the same work in one loop.
const HEX = Buffer.from('0123456789ABCDEF');
const EQ = 0x3d;
const CR = 0x0d;
const LF = 0x0a;

export function encodeQuotedPrintable(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  // Worst case: every byte escaped (3) plus a soft break (3) per 25 escapes.
  const out = Buffer.allocUnsafe(src.length * 3 + Math.ceil(src.length / 25) * 3 + 3);
  let o = 0;
  let column = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === CR && src[i + 1] === LF) {
      out[o++] = CR;
      out[o++] = LF;
      i++;
      column = 0;
      continue;
    }
    const beforeBreak = i + 1 === src.length || (src[i + 1] === CR && src[i + 2] === LF);
    const literal = (b >= 33 && b <= 126 && b !== EQ) || ((b === 32 || b === 9) && !beforeBreak);
    const width = literal ? 1 : 3;
    // A softly broken line holds at most 75 characters and its "=".
    if (column + width > 75) {
      out[o++] = EQ;
      out[o++] = CR;
      out[o++] = LF;
      column = 0;
    }
    if (literal) out[o++] = b;
    else {
      out[o++] = EQ;
      out[o++] = HEX[b >> 4]!;
      out[o++] = HEX[b & 15]!;
    }
    column += width;
  }
  return out.subarray(0, o);
}
