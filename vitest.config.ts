import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only contend for the argon2 pool and PGlite start-up.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
