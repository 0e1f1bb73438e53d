// The package's root directory (the one with package.json, build/ and dist/), found the
// same way from lib/ (run through tsx), dist/ (compiled), and the bundled command.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(fileURLToPath(new URL('package.json', dir)))) return fileURLToPath(dir);
    dir = new URL('..', dir);
  }
  throw new Error(`kvm-caps: cannot find package.json above ${fileURLToPath(import.meta.url)}`);
}

/** With a trailing slash. */
export const packageRoot: string = find();
