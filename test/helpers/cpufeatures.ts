// Reads the kernel's arch/x86/include/asm/cpufeatures.h (from linux-headers-<ver>-common,
// helpers/kernel-sources.ts): every X86_FEATURE_ bit with its word, its position and the
// name /proc/cpuinfo prints for it, and which CPUID register each word copies, as the
// header's own word comments say ("... CPUID level 0x00000007:0 (EBX), word 9").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Register = 'eax' | 'ebx' | 'ecx' | 'edx';

export interface KernelFeature {
  /** The macro without X86_FEATURE_, e.g. XMM3. */
  macro: string;
  word: number;
  bit: number;
  /** The quoted name at the start of the comment: what /proc/cpuinfo prints. */
  printed?: string;
}

/** A word that is a straight copy of one CPUID register. */
export interface CpuidWord {
  word: number;
  function: number;
  index: number;
  register: Register;
}

export interface CpuFeatures {
  features: KernelFeature[];
  /** Words copied from a CPUID register; the others are Linux-defined or scattered. */
  cpuidWords: CpuidWord[];
}

export const CPUFEATURES_H = join('arch', 'x86', 'include', 'asm', 'cpufeatures.h');

export function readCpuFeatures(headersRoot: string): CpuFeatures {
  const text = readFileSync(join(headersRoot, CPUFEATURES_H), 'utf8');
  const features: KernelFeature[] = [];
  for (const m of text.matchAll(
    /^#define\s+X86_FEATURE_(\w+)\s+\(\s*(\d+)\s*\*\s*32\s*\+\s*(\d+)\s*\)\s*(?:\/\*\s*(?:"([^"]*)")?)?/gm,
  )) {
    const [, macro, word, bit, printed] = m;
    features.push({ macro: macro!, word: Number(word), bit: Number(bit), ...(printed ? { printed } : {}) });
  }
  const cpuidWords: CpuidWord[] = [];
  for (const m of text.matchAll(/CPUID level (0x[0-9a-fA-F]+)(?::(\d+))?(.*?),? word (\d+)/g)) {
    const [, leaf, index, rest, word] = m;
    // Word 1 (0x80000001) names no register: it is EDX, as the kernel's get_cpu_cap() reads it.
    const register = (/\bE([ABCD])X\b/.exec(rest ?? '')?.[1]?.toLowerCase() ?? 'd') as 'a' | 'b' | 'c' | 'd';
    cpuidWords.push({
      word: Number(word),
      function: Number(leaf),
      index: Number(index ?? 0),
      register: `e${register}x`,
    });
  }
  return { features, cpuidWords };
}

/** The name the kernel's rule gives a feature: its printed name, else the macro lower-cased. */
export function kernelName(feature: KernelFeature): string {
  return feature.printed ?? feature.macro.toLowerCase();
}
