// A wake that stays raised until the dispatcher starts its next pass, shared by the request thread and the
// mail thread (one Int32 in a SharedArrayBuffer). Under load a pass runs every gapMs (25 ms) while steps
// complete hundreds of times a second; each wake was a message to build here and a wake-up of the thread there,
// though every wake after the first found a pass already due. Now only the first wake after a pass has started
// is posted.
//
// Why no mail is missed: the request thread raises the latch after its step committed; the mail thread lowers
// it before it claims. A wake that found the latch raised therefore came before the lowering, so its commit is
// before the claim, which sees it. A wake after the lowering finds it down and is posted.
export interface WakeLatch {
  /** Raises the latch; true when it was down (the caller posts the wake). */
  raise(): boolean;
  /** Lowers it: a pass is starting. */
  lower(): void;
  readonly buffer: SharedArrayBuffer;
}

export function wakeLatch(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)): WakeLatch {
  const cell = new Int32Array(buffer, 0, 1);
  return {
    raise: () => Atomics.exchange(cell, 0, 1) === 0,
    lower: () => void Atomics.store(cell, 0, 0),
    buffer,
  };
}
