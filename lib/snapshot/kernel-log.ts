// The kernel log, as records: read from /dev/kmsg (one record per read, kmsg format) or
// from a file of `dmesg` / `journalctl -k` text a user saved. Only records about
// virtualization and its prerequisites are kept: the log is large and may be private.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { MiB, readBounded, utf8Text } from './bounded-read.js';
import { attempt, toProbeError } from './facts.js';
import { underRoot } from './host-files.js';
import { parsePastedLog } from './log-formats.js';
import type { Fact, KernelLogFact, KernelLogRecord } from './types.js';

/**
 * Records worth keeping: TDX, SEV and their firmware, KVM, the IOMMU (an SNP prerequisite),
 * VMX/SVM bring-up (feat_ctl.c, amd.c) and the hypervisor this kernel runs under.
 */
const RELEVANT = /tdx|seam|sev|snp|rmp|ccp|psp|kvm|amd-vi|iommu|virtuali[sz]ation|vmx|svm|hypervisor detected/i;

/** At most this many records are kept (the newest), so a flood of messages stays bounded. */
export const MAX_LOG_RECORDS = 4000;
/** Lines longer than this are cut: no kernel message about KVM is anywhere near it. */
const MAX_LINE = 2048;
/** At most this much text is read from a --kernel-log file: its newest part, where it is larger. */
export const MAX_LOG_BYTES = 64 * MiB;

/** A timestamp beyond 2^53 microseconds (285 years) is not one a kernel wrote: not kept. */
function safe(us: number): number | null {
  return Number.isSafeInteger(us) ? us : null;
}

/**
 * Whether a raw kmsg record, escapes and all, may hold a record keep() keeps: a cheap test
 * that lets the device reader drop the rest unparsed. Never false for one keep() keeps: the
 * kernel escapes only control characters, backslashes and bytes from 0x7f up, never the
 * ASCII letters and '-' the filter matches, so a match in the unescaped message is already
 * in the raw record.
 */
export function mayBeRelevant(rawRecord: string): boolean {
  return RELEVANT.test(rawRecord);
}

function keep(records: KernelLogRecord[]): KernelLogRecord[] {
  const relevant = records.filter((r) => RELEVANT.test(r.message));
  return relevant.slice(Math.max(0, relevant.length - MAX_LOG_RECORDS));
}

/**
 * kmsg records: "PRI,SEQ,TIMESTAMP_US,FLAGS[,...];MESSAGE", continuation lines (" KEY=value")
 * after them. PRI is facility * 8 + level.
 */
export function parseKmsg(text: string): KernelLogRecord[] {
  const records: KernelLogRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(' ')) continue;
    const semicolon = line.indexOf(';');
    if (semicolon < 0) continue;
    const [pri, , ts] = line.slice(0, semicolon).split(',');
    if (pri === undefined || !/^\d+$/.test(pri)) continue;
    records.push({
      priority: Number(pri) & 7,
      timestampUs: ts !== undefined && /^\d+$/.test(ts) ? safe(Number(ts)) : null,
      message: unescapeKmsg(line.slice(semicolon + 1, semicolon + 1 + MAX_LINE)),
    });
  }
  return records;
}

/** kmsg escapes non-printable bytes as \xNN. */
function unescapeKmsg(message: string): string {
  return message.replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Text a user saved or pasted: `dmesg` in its formats, `journalctl -k`, kern.log, quoted in
 * an e-mail; a log of several boots has each record's boot (lib/snapshot/log-formats.ts).
 */
export function parseDmesgText(text: string): KernelLogRecord[] {
  return parsePastedLog(text, MAX_LINE);
}

/** Reads /dev/kmsg without blocking: each read returns one record, EAGAIN ends the log. */
function readKmsgDevice(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const chunks: string[] = [];
  let perRecord = false;
  const buffer = Buffer.alloc(16 * 1024);
  let total = 0;
  try {
    perRecord = fstatSync(fd).isCharacterDevice();
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break; // The end of the log.
        if (code === 'EPIPE') continue; // A record was overwritten while reading: skip it.
        throw error;
      }
      if (n === 0) break; // A regular file (a saved kmsg dump) ends.
      // From the device each read is one record, and most are about something else:
      // dropping them here saves parsing them; keep() still decides on the parsed text. A
      // file is read in blocks that split records, so it is kept whole.
      const text = buffer.toString('utf8', 0, n);
      if (!perRecord || mayBeRelevant(text)) chunks.push(text);
      total += n;
      if (total > MAX_LOG_BYTES) break;
    }
  } finally {
    closeSync(fd);
  }
  return chunks.join('');
}

/** The kernel's own log, from <root>/dev/kmsg. */
export function kernelLogFromKmsg(root: string): Fact<KernelLogRecord[]> {
  const file = underRoot(root, '/dev/kmsg');
  return attempt({ file }, () => keep(parseKmsg(readKmsgDevice(file))));
}

/**
 * A log a user saved (`dmesg > log.txt`, `journalctl -k`), or a kmsg dump; '-' is standard
 * input. Only a regular file (or standard input) is read, and of one larger than
 * MAX_LOG_BYTES only the newest MAX_LOG_BYTES, from the first whole line on: the end of a
 * log is where a failure just seen is. The fact's `cut` then says so.
 */
export function kernelLogFromFile(path: string): KernelLogFact {
  const source = { file: path };
  let read;
  try {
    read = readBounded(path, MAX_LOG_BYTES, 'newest', { stdin: true });
  } catch (error) {
    return { source, error: toProbeError(error) };
  }
  let bytes = read.bytes;
  // The cut fell inside a line (or a UTF-8 sequence): the log starts after it.
  if (read.cut) bytes = bytes.subarray(bytes.indexOf(0x0a) + 1);
  const fact: KernelLogFact = attempt(source, () => {
    const text = utf8Text(bytes);
    const firstLine = text.split('\n', 1)[0] ?? '';
    // A kmsg dump starts with "PRI,SEQ,TS,FLAGS;"; anything else is dmesg text.
    return keep(/^\d+,\d+,\d+,[^;]*;/.test(firstLine) ? parseKmsg(text) : parseDmesgText(text));
  });
  if (read.cut) fact.cut = { size: read.size, kept: bytes.length };
  return fact;
}
