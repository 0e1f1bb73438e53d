/*
 * Independent oracle for test/cpuid.test.ts: executes the CPUID instruction
 * directly (GCC/Clang <cpuid.h>) and prints the raw registers of the leaves the
 * decoder covers as JSON, one object per leaf/subleaf:
 *   {"function":N,"index":N,"eax":N,"ebx":N,"ecx":N,"edx":N}
 * Leaves above the reported maximum basic/extended leaf are skipped.
 * Exits 2 when CPUID is unavailable (non-x86 builds fail to compile instead).
 */
#include <cpuid.h>
#include <stdio.h>

static int first = 1;

static void emit(unsigned int leaf, unsigned int subleaf) {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(leaf, subleaf, &eax, &ebx, &ecx, &edx)) return;
  printf("%s\n  {\"function\":%u,\"index\":%u,\"eax\":%u,\"ebx\":%u,\"ecx\":%u,\"edx\":%u}", first ? "" : ",", leaf,
         subleaf, eax, ebx, ecx, edx);
  first = 0;
}

int main(void) {
  unsigned int max_basic = __get_cpuid_max(0, 0);
  unsigned int max_ext = __get_cpuid_max(0x80000000u, 0);
  static const struct {
    unsigned int leaf, subleaf;
  } leaves[] = {
      {0x0, 0},        {0x1, 0},        {0x7, 0},        {0x7, 1},        {0xd, 0},        {0xd, 1},
      {0x80000000, 0}, {0x80000001, 0}, {0x80000008, 0}, {0x8000000a, 0}, {0x8000001f, 0}, {0x80000021, 0},
  };
  if (max_basic == 0) return 2;
  printf("[");
  for (unsigned int i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
    unsigned int leaf = leaves[i].leaf;
    unsigned int max = leaf >= 0x80000000u ? max_ext : max_basic;
    if (leaf > max) continue;
    emit(leaf, leaves[i].subleaf);
  }
  printf("\n]\n");
  return 0;
}
