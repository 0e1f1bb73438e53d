// Kernel-log text as users paste it, turned into records. What people paste comes from many
// tools: `dmesg` (plain, -r, -T, -x, -d, --time-format iso or reltime, with CONFIG_PRINTK_CALLER's
// `[    T1]` / `[   C0]` field), `journalctl -k` (short, short-iso, short-precise,
// short-monotonic; month names in any locale), rsyslog's kern.log (traditional or RFC 3339
// timestamps), quoted in an e-mail (`> `), or bare messages. Each line's prefix is removed
// and what it tells (level, time since boot) is kept. A log spanning several boots is split
// at each boot: the `Linux version` line, journalctl's `-- Boot ID --` / `-- Reboot --`, or
// a time since boot that goes back; every record says which boot it belongs to, counted back
// from the newest (0), so only the newest boot is judged and older ones are shown as such.
import type { KernelLogRecord } from './types.js';

const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];

/** An e-mail quote, once or nested: "> ", ">> ", "> > ". */
const QUOTE = /^\s*(?:>\s?)+/;
/** `dmesg -r`: the raw <PRI> (facility * 8 + level). */
const RAW_PRIORITY = /^<(\d{1,3})>/;
/** `dmesg -x`: "kern  :info  : ". */
const DECODED_LEVEL = /^([a-z]+)\s*:\s*(emerg|alert|crit|err|warn|notice|info|debug)\s*:\s?/;
/** Seconds since boot, as dmesg and journalctl -o short-monotonic print it (`dmesg -d` adds `<delta>`). */
const MONOTONIC = /^\[\s*(\d+)\.(\d{1,9})(?:\s*<\s*\d+\.\d+>)?\]\s?/;
/** `dmesg --time-format reltime` after the first line of a minute: `[  +0.000123]`. */
const RELATIVE = /^\[\s*\+\d+\.\d+\]\s?/;
/** CONFIG_PRINTK_CALLER: the thread (T) or CPU (C) that printed it. */
const CALLER = /^\[\s*[TC]\d+\]\s?/;
/** `dmesg -T` (and reltime's `[Dec 2 09:01]`): a wall-clock date in brackets, any locale's names. */
const WALL_CLOCK_BRACKET = /^\[[^\]]*?\d{1,2}:\d\d[^\]]*\]\s?/;
/** `dmesg --time-format iso`: "2026-12-02T09:01:12,123456+00:00 ". */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[,.]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s/;
/**
 * A syslog or journal header ending in the program's tag: "Dec  2 09:01:12 host kernel: ",
 * "2. Dez 09:01:12 host kernel: ", "2026-12-02T09:01:12.123456+00:00 host kernel: ",
 * "Wed 2026-12-02 09:01:12 UTC host kernel: " (short-full),
 * "[    5.123456] host kernel: " (short-monotonic). Month and day words are any text before
 * the time, so every locale's month names pass. `dmesg --time-format iso` followed by a
 * message like "SVM: svm_hardware_enable: ..." has the same shape: so the header is removed
 * only for the tag `kernel`, and a line is dropped only for a program's `tag[pid]:`.
 */
const SYSLOG_HEADER = new RegExp(
  String.raw`^(?:[^\s[]\S*(?:\s+\S+){0,2}?\s+)?(?:\d{4}-\d\d-\d\dT)?\d{1,2}:\d\d:\d\d(?:[.,]\d+)?(?:Z|` +
    String.raw`[+-]\d\d:?\d\d| [A-Z]{2,5})?\s+\S+\s+([\w./-]+)(\[\d+\])?:\s?`,
);
const MONOTONIC_HEADER = /^\[\s*(\d+)\.(\d{1,9})\]\s+\S+\s+([\w./-]+)(?:\[\d+\])?:\s?/;
/** journalctl's markers between boots; its other "-- ... --" lines say nothing about the kernel. */
const JOURNAL_BOOT = /^-- (?:Boot [0-9a-f]+|Reboot) --$/;
const JOURNAL_NOTE = /^-- .* --$/;
/** The first line every boot logs (init/main.c start_kernel()). */
const LINUX_VERSION = /^Linux version \d/;

/** A time since boot this much earlier than the one before starts a new boot. */
const BACKWARDS_US = 1_000_000;

/** A time beyond 2^53 microseconds (285 years) is not one a kernel wrote: not kept. */
function microseconds(seconds: string, fraction: string): number | null {
  const us = Number(seconds) * 1e6 + Math.round(Number(`0.${fraction}`) * 1e6);
  return Number.isSafeInteger(us) ? us : null;
}

interface Line {
  priority: number | null;
  timestampUs: number | null;
  message: string;
  /** A journal marker saying a new boot starts here. */
  bootMarker: boolean;
}

/** One pasted line without its prefixes; undefined for a line that holds no kernel message. */
export function parseLogLine(raw: string): Line | undefined {
  let line = raw.replace(/\r$/, '').replace(QUOTE, '').trimStart();
  if (JOURNAL_BOOT.test(line.trimEnd())) return { priority: null, timestampUs: null, message: '', bootMarker: true };
  if (JOURNAL_NOTE.test(line.trimEnd())) return undefined;
  let priority: number | null = null;
  let timestampUs: number | null = null;
  const raw_ = RAW_PRIORITY.exec(line);
  if (raw_) {
    priority = Number(raw_[1]) & 7;
    line = line.slice(raw_[0].length);
  }
  const decoded = DECODED_LEVEL.exec(line);
  if (decoded) {
    priority = LEVELS.indexOf(decoded[2] ?? '');
    line = line.slice(decoded[0].length);
  }
  const monotonicHeader = MONOTONIC_HEADER.exec(line);
  const header = monotonicHeader ? undefined : SYSLOG_HEADER.exec(line);
  // `[seconds] host tag: ` is also what a dmesg line "[seconds] SVM: svm_hardware_enable: ..."
  // looks like: only the kernel's own tag is taken as a journal header, and no line is dropped.
  if (monotonicHeader && monotonicHeader[3] === 'kernel') {
    timestampUs = microseconds(monotonicHeader[1] ?? '0', monotonicHeader[2] ?? '0');
    line = line.slice(monotonicHeader[0].length);
  } else if (header && header[1] === 'kernel') {
    line = line.slice(header[0].length);
  } else if (header && header[2] !== undefined) {
    return undefined; // Another program's line (tag[pid]:) in a journal or syslog paste.
  } else {
    line = line.replace(ISO_TIME, '');
  }
  // rsyslog's imklog and older kern.log keep the kernel's own [seconds] inside the message.
  const monotonic = MONOTONIC.exec(line);
  if (monotonic) {
    timestampUs = microseconds(monotonic[1] ?? '0', monotonic[2] ?? '0');
    line = line.slice(monotonic[0].length);
  } else {
    line = line.replace(WALL_CLOCK_BRACKET, '').replace(RELATIVE, '');
  }
  line = line.replace(CALLER, '');
  if (line.trim() === '') return undefined;
  return { priority, timestampUs, message: line.trimEnd(), bootMarker: false };
}

/**
 * Pasted kernel-log text as records, each with `boot`: 0 for the newest boot in the text,
 * 1 for the one before, and so on. Lines are cut at `maxLine` characters first.
 */
export function parsePastedLog(text: string, maxLine = Infinity): KernelLogRecord[] {
  const records: KernelLogRecord[] = [];
  let boot = 0;
  let lastTimestamp: number | null = null;
  let bootHasRecords = false;
  const newBoot = (): void => {
    if (bootHasRecords) boot++;
    bootHasRecords = false;
    lastTimestamp = null;
  };
  for (const raw of text.split('\n')) {
    const line = parseLogLine(raw.slice(0, maxLine));
    if (line === undefined) continue;
    if (line.bootMarker) {
      newBoot();
      continue;
    }
    if (LINUX_VERSION.test(line.message)) newBoot();
    else if (line.timestampUs !== null && lastTimestamp !== null && line.timestampUs + BACKWARDS_US < lastTimestamp)
      newBoot();
    if (line.timestampUs !== null) lastTimestamp = line.timestampUs;
    bootHasRecords = true;
    records.push({ priority: line.priority, timestampUs: line.timestampUs, message: line.message, boot });
  }
  for (const record of records) record.boot = boot - (record.boot ?? 0);
  return records;
}

/** Whether a record belongs to the newest boot: the one judged (records of a one-boot source carry no boot). */
export function inNewestBoot(record: KernelLogRecord): boolean {
  return (record.boot ?? 0) === 0;
}
