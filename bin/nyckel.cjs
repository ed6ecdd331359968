#!/usr/bin/env node
// The `nyckel` command. Runs the TypeScript sources through tsx so a fresh clone needs no build step.
//
// CommonJS on purpose: libuv's thread pool is sized once, from UV_THREADPOOL_SIZE, when first used — and an
// ES-module entry is itself loaded through that pool. argon2 runs on threads of its own (credentials/
// hash-threads.ts), but imported scrypt/PBKDF2 hashes verify on this pool, up to 2 per CPU at once (the
// hasher's queue): here, before anything uses it, the pool gets room for those plus 4 threads for file and DNS
// work, unless the environment already says otherwise.
const { availableParallelism } = require('node:os');

process.env.UV_THREADPOOL_SIZE ??= String(2 * availableParallelism() + 4);

// The server tiers its code up to optimised machine code sooner than V8's default (interrupt budget 16,000
// instead of 67,584 bytes of bytecode run between checks). At a hundred sign-ins a second many functions of the
// sign-in path were still unoptimised after minutes; measured (npm run bench, 2 CPUs, alternating runs) the
// request thread's CPU per sign-in fell from 1.72-1.78 to 1.56-1.62 ms, and per reset request from 0.34 to
// 0.32 ms. Set before any application code is compiled; a flag given in NODE_OPTIONS or on the command line wins.
if (process.argv[2] === 'start' && !/--interrupt-budget\b/.test(`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`)) {
  require('node:v8').setFlagsFromString('--interrupt-budget=16000');
}
(async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(process.argv.slice(2));
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
