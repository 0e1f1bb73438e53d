// How each tool prints one kernel message, as users paste it: dmesg in its formats, journalctl
// -k in several locales, rsyslog's kern.log, printk caller prefixes, e-mail quotes. The
// writers follow each tool's documented output, not kvm-caps's parser.

/** One kernel message: microseconds since boot and the text. */
export interface FixtureLine {
  timestampUs: number;
  message: string;
}

const seconds = (us: number): string =>
  `[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}]`;
const clock = (us: number): string => {
  const s = 9 * 3600 + 60 + Math.floor(us / 1e6);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600) % 24)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
};
const micros = (us: number): string => String(us % 1e6).padStart(6, '0');

export interface LogFormat {
  name: string;
  write: (line: FixtureLine, index: number) => string;
  /** Whether the format carries the time since boot. */
  monotonic: boolean;
}

export const FORMATS: LogFormat[] = [
  { name: 'dmesg', write: (l) => `${seconds(l.timestampUs)} ${l.message}`, monotonic: true },
  { name: 'dmesg -t (no timestamps)', write: (l) => l.message, monotonic: false },
  { name: 'dmesg -r', write: (l) => `<3>${seconds(l.timestampUs)} ${l.message}`, monotonic: true },
  { name: 'dmesg -T', write: (l) => `[Wed Dec  2 ${clock(l.timestampUs)} 2026] ${l.message}`, monotonic: false },
  { name: 'dmesg -x', write: (l) => `kern  :err   : ${seconds(l.timestampUs)} ${l.message}`, monotonic: true },
  {
    name: 'dmesg -d',
    write: (l) => `[${seconds(l.timestampUs).slice(1, -1)} <    0.000412>] ${l.message}`,
    monotonic: true,
  },
  {
    name: 'dmesg --time-format reltime',
    write: (l, i) =>
      i === 0 ? `[Dec 2 ${clock(l.timestampUs).slice(0, 5)}] ${l.message}` : `[  +0.000412] ${l.message}`,
    monotonic: false,
  },
  {
    name: 'dmesg --time-format iso',
    write: (l) => `2026-12-02T${clock(l.timestampUs)},${micros(l.timestampUs)}+00:00 ${l.message}`,
    monotonic: false,
  },
  {
    name: 'CONFIG_PRINTK_CALLER thread',
    write: (l) => `${seconds(l.timestampUs)}[    T1] ${l.message}`,
    monotonic: true,
  },
  {
    name: 'CONFIG_PRINTK_CALLER cpu',
    write: (l) => `${seconds(l.timestampUs)}[     C0] ${l.message}`,
    monotonic: true,
  },
  { name: 'dmesg -r with caller', write: (l) => `<4>${seconds(l.timestampUs)}[  T412] ${l.message}`, monotonic: true },
  { name: 'journalctl -k', write: (l) => `Dec 02 ${clock(l.timestampUs)} host kernel: ${l.message}`, monotonic: false },
  {
    name: 'journalctl -k (de_DE)',
    write: (l) => `Dez 02 ${clock(l.timestampUs)} host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'journalctl -k (fr_FR)',
    write: (l) => `déc. 02 ${clock(l.timestampUs)} host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'journalctl -k (ja_JP)',
    write: (l) => `12月 02 ${clock(l.timestampUs)} host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'journalctl -o short-iso',
    write: (l) => `2026-12-02T${clock(l.timestampUs)}+0000 host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'journalctl -o short-precise',
    write: (l) => `Dec 02 ${clock(l.timestampUs)}.${micros(l.timestampUs)} host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'journalctl -o short-full',
    write: (l) => `Wed 2026-12-02 ${clock(l.timestampUs)} UTC host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'journalctl -o short-monotonic',
    write: (l) => `${seconds(l.timestampUs)} host kernel: ${l.message}`,
    monotonic: true,
  },
  {
    name: 'rsyslog RFC 3339',
    write: (l) => `2026-12-02T${clock(l.timestampUs)}.${micros(l.timestampUs)}+00:00 host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'kern.log (traditional)',
    write: (l) => `Dec  2 ${clock(l.timestampUs)} host kernel: ${l.message}`,
    monotonic: false,
  },
  {
    name: 'kern.log with the kernel timestamp',
    write: (l) => `Dec  2 ${clock(l.timestampUs)} host kernel: ${seconds(l.timestampUs)} ${l.message}`,
    monotonic: true,
  },
  { name: 'e-mail quote', write: (l) => `> ${seconds(l.timestampUs)} ${l.message}`, monotonic: true },
  { name: 'nested e-mail quote', write: (l) => `> > ${seconds(l.timestampUs)} ${l.message}`, monotonic: true },
  { name: 'CRLF line ends', write: (l) => `${seconds(l.timestampUs)} ${l.message}\r`, monotonic: true },
];
