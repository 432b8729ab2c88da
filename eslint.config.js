import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'tools/', 'data/', 'charts/', 'k8s/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Configuration resolves what stages take (stage-configs.ts); it never imports a stage, and
    // stages import neither config.ts nor the CLI's option table.
    files: ['src/config.ts', 'src/options.ts', 'src/stage-configs.ts', 'src/stage-table.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/stages/**', './stages/*'], message: 'config, options and the stage table must not import a stage: shared shapes live in src/stage-configs.ts.' }] }],
    },
  },
  {
    files: ['src/stages/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['../config.js', '../options.js', '../cli.js'], message: 'a stage takes its config (src/stage-configs.ts); it does not resolve flags.' },
        { group: ['../titelive/*'], message: 'a stage takes its source through src/sources.ts (the interface is src/source.ts); it never imports one.' },
      ] }],
    },
  },
  {
    // runtime/ is the generic batch machinery: it must never know about a source.
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/titelive/**', '**/stages/**', '**/sandbox/**'], message: 'src/runtime/ must not import a source, a stage or the sandbox.' }] }],
    },
  },
);
