#!/usr/bin/env node
// The `nyckel` command. Runs the TypeScript sources through tsx so a fresh clone needs no build step.
//
// CommonJS on purpose: argon2 hashing runs on libuv's thread pool, which is sized once, from
// UV_THREADPOOL_SIZE, when first used — and an ES-module entry is itself loaded through that pool. Here, before
// anything uses it, the pool gets room for the hasher's default concurrency (2 per CPU, credentials/hasher.ts)
// plus 4 threads for file and DNS work, unless the environment already says otherwise.
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
