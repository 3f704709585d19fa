import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/setup/gpu-env.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
