import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,runtime,functions,infra,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/cdk.out/**'],
    // Pipeline tests run real ONNX sessions on tiny bundles; give them room on 2-core CI machines.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
