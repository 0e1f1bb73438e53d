#!/usr/bin/env node
// The command run from source (`node --import tsx lib/cli/bin.ts`, as the tests run it). The
// installed command is dist/cli/kvm-caps.cjs, which lib/cli/bundle.ts builds from main.ts.
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
