// Terminal styling: colour only when writing to a terminal and NO_COLOR is not set.
import { styleText } from 'node:util';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
}

const plain: Style = { bold: (t) => t, dim: (t) => t, good: (t) => t, bad: (t) => t, warn: (t) => t };

// kvm-caps decides colour itself (styleFor); styleText must not second-guess it.
const coloured: Style = {
  bold: (t) => styleText('bold', t, { validateStream: false }),
  dim: (t) => styleText('dim', t, { validateStream: false }),
  good: (t) => styleText('green', t, { validateStream: false }),
  bad: (t) => styleText('red', t, { validateStream: false }),
  warn: (t) => styleText('yellow', t, { validateStream: false }),
};

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const wanted = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return wanted ? coloured : plain;
}

export { plain as plainStyle };
