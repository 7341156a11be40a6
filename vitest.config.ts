import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    env: { GEN_CLUSTER_LOG: 'silent' },
    testTimeout: 20_000,
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.typecheck.json'
    }
  }
})
