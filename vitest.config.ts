import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string): string => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  // Tests may import the package by name, as docs/testing.md's examples do: the sources stand for the build.
  resolve: {
    alias: [
      { find: /^dsmoe$/, replacement: src('index.ts') },
      { find: /^dsmoe\/testing$/, replacement: src('testing/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/setup/gpu-env.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
