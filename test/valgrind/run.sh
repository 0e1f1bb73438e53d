#!/usr/bin/env bash
# test/valgrind/leaks.ts under valgrind's leak checker, against a Release build of the
# addon with debug info (-g), so a leak's stack names native/*.cc lines.
#
# The -g build goes to .cache/valgrind/ (a generated binding.gyp whose sources point back
# at native/*.cc), so build/Release is never touched. leaks.ts is bundled to one plain
# .mjs file with esbuild (tsx's own dependency), so valgrind runs node alone, without
# tsx's loader. Usage: test/valgrind/run.sh [rounds]   (default 100)
# Passes when leaks.ts exits 0 and valgrind reports "definitely lost: 0" (exit 99 otherwise).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/.cache/valgrind
rounds=${1:-100}
started=$(date +%s)
# Without valgrind the check is skipped with the reason, except under CI=true, where .ci/run
# installs it and its absence fails.
if ! command -v valgrind >/dev/null; then
  if [[ ${CI:-} == true ]]; then echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 1; fi
  echo "valgrind: skipped: not installed (apt-get install valgrind)"
  exit 0
fi

mkdir -p "$out"
python3 "$root/test/helpers/relocate_gyp.py" "$root/binding.gyp" "$out/binding.gyp" test/valgrind/run.sh

gyp_args=(rebuild -C "$out")
nodedir=$(npm config get nodedir 2>/dev/null || true)
if [[ -n $nodedir && $nodedir != undefined && $nodedir != null ]]; then gyp_args+=("--nodedir=$nodedir"); fi
echo "valgrind: building $out/build/Release/kvm_caps.node with -g"
# The Makefile gyp writes appends $(CFLAGS)/$(CXXFLAGS) from the environment.
if ! CFLAGS=-g CXXFLAGS=-g npx --no-install node-gyp "${gyp_args[@]}" >"$out/build.log" 2>&1; then
  cat "$out/build.log" >&2
  echo "valgrind: the build failed" >&2
  exit 1
fi
addon=$out/build/Release/kvm_caps.node
sections=$(readelf -S "$addon")
if [[ $sections != *.debug_info* ]]; then
  echo "valgrind: $addon has no debug info" >&2
  exit 1
fi

# The bundle is ESM; node-gyp-build (the addon resolver) is CommonJS and requires Node's
# modules, so the bundle gets a real require.
npx --no-install esbuild test/valgrind/leaks.ts --bundle --platform=node --format=esm --target=node20 \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
  --outfile="$out/leaks.mjs" --log-level=warning

# One suppression, for node itself: V8's garbage collector scans the machine stack
# conservatively (cppgc's IteratePointersInStack), reading slots nobody initialised. It
# is not in the addon and would otherwise turn every full GC into an "error".
cat >"$out/node.supp" <<'SUPP'
{
   v8-conservative-stack-scan
   Memcheck:Cond
   fun:*IteratePointersInStack*
}
{
   v8-conservative-stack-scan-value
   Memcheck:Value8
   fun:*IteratePointersInStack*
}
SUPP

echo "valgrind: valgrind --leak-check=full node --expose-gc $out/leaks.mjs $rounds"
export KVM_CAPS_NATIVE=$addon
status=0
valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
  --suppressions="$out/node.supp" --log-file="$out/valgrind.log" \
  node --expose-gc "$out/leaks.mjs" "$rounds" || status=$?
finished=$(date +%s)
grep -E 'definitely lost|indirectly lost|ERROR SUMMARY' "$out/valgrind.log" | sed 's/^==[0-9]*== /valgrind: /'
# Any definite leak whose stack passes through the addon, in full.
if grep -q 'definitely lost in' "$out/valgrind.log"; then
  echo "valgrind: definite leaks (full log: $out/valgrind.log):" >&2
  awk '/definitely lost in/{p=1} p{print} /^==[0-9]+== $/{p=0}' "$out/valgrind.log" >&2
fi
if [[ $status -eq 0 ]] && ! grep -qE 'definitely lost: 0 bytes|no leaks are possible' "$out/valgrind.log"; then
  echo "valgrind: no 'definitely lost: 0' line in $out/valgrind.log" >&2
  status=1
fi
echo "valgrind: $((finished - started)) s; exit $status"
exit "$status"
