// Worker-thread entry for the dataset generator: workers do not inherit the tsx loader, so
// register it here (CommonJS hooks), then load the TypeScript worker.
require('tsx/cjs/api').register();
require('./worker.ts');
