// Terminal styling: colour only when writing to a terminal and NO_COLOR is not set (or FORCE_COLOR asks).
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

/**
 * Colour on a terminal, unless NO_COLOR is set to something (no-color.org: an empty value
 * does not count) or TERM is "dumb". FORCE_COLOR, when set to something, decides instead
 * (force-color.org; as in Node, it wins over NO_COLOR): "0" or "false" is never, any other
 * value always, terminal or not.
 */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force === '0' || force === 'false' ? plain : coloured;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const wanted = stream.isTTY === true && !noColor && env.TERM !== 'dumb';
  return wanted ? coloured : plain;
}

export { plain as plainStyle };
