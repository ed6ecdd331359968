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
(async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(process.argv.slice(2));
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
