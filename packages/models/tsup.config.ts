import { defineConfig } from 'tsup';

export default defineConfig({
  // The core entry holds only interfaces and errors; implementations are subpaths.
  entry: { index: 'src/index.ts', 'openai/index': 'src/openai/index.ts', 'tfjs/index': 'src/tfjs/index.ts', cli: 'src/tfjs/cli/models-cli.ts', 'tfjs/data-parallel-worker': 'src/tfjs/parallel/data-parallel-worker.ts', 'tfjs/untrusted-tokenizer-worker': 'src/tfjs/tokenizer/untrusted-tokenizer-worker.ts' },
  dts: { entry: { index: 'src/index.ts', 'openai/index': 'src/openai/index.ts', 'tfjs/index': 'src/tfjs/index.ts' } },
  format: ['esm', 'cjs'],
  sourcemap: true,
  clean: true,
  // import.meta.url in the CommonJS build too: the data-parallel pool finds its worker file from it.
  shims: true,
  target: 'node20',
});
