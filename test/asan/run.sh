#!/usr/bin/env bash
# The whole test suite against an ASan + UBSan Debug build of the addon.
#
# The sanitizer build goes to .cache/asan/ (a generated binding.gyp whose sources point
# back at native/*.cc), so build/Release is never touched; the suite is pointed at it
# with KVM_CAPS_NATIVE. Node itself is not sanitized, so the runtimes are preloaded, and
# they must come first in LD_PRELOAD: anything a test adds (the kernel double) must be
# appended after them. Usage: test/asan/run.sh [tiers (fast, e2e) or test files]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/.cache/asan
started=$(date +%s)

# 1. A binding.gyp for the separate build: the project's own, with relative source and
#    include paths rewritten to reach back to the project (gyp files are Python literals).
#    The build dir stays inside the project so `<!(node -p "require('node-addon-api')…")`
#    still resolves node-addon-api from the project's node_modules.
mkdir -p "$out"
python3 "$root/test/helpers/relocate_gyp.py" "$root/binding.gyp" "$out/binding.gyp" test/asan/run.sh

# 2. node-gyp's --asan/--ubsan become gyp variables that Node's common.gypi turns into
#    -fsanitize=address,undefined. A configured nodedir (npm config) is passed on, since
#    node-gyp run directly does not read npm's user config.
gyp_args=(rebuild --debug --asan=1 --ubsan=1 -C "$out")
nodedir=$(npm config get nodedir 2>/dev/null || true)
if [[ -n $nodedir && $nodedir != undefined && $nodedir != null ]]; then gyp_args+=("--nodedir=$nodedir"); fi
echo "asan: building $out/build/Debug/kvm_caps.node"
if ! npx --no-install node-gyp "${gyp_args[@]}" >"$out/build.log" 2>&1; then
  cat "$out/build.log" >&2
  echo "asan: the sanitizer build failed" >&2
  exit 1
fi
addon=$out/build/Debug/kvm_caps.node
built=$(date +%s)

# The build must really be instrumented: ASan's and UBSan's report hooks are imported.
imports=$(nm -D --undefined-only "$addon")
if [[ $imports != *__asan_report* || $imports != *__ubsan_handle* ]]; then
  echo "asan: $addon is not instrumented with ASan and UBSan" >&2
  exit 1
fi

# 3. The runtimes first in LD_PRELOAD, then whatever was there already.
asan_rt=$(g++ -print-file-name=libasan.so)
ubsan_rt=$(g++ -print-file-name=libubsan.so)
for rt in "$asan_rt" "$ubsan_rt"; do
  [[ -e $rt ]] || { echo "asan: $rt not found (install g++'s libasan/libubsan)" >&2; exit 1; }
done
export KVM_CAPS_NATIVE=$addon
export LD_PRELOAD="$asan_rt:$ubsan_rt${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}

# The suite must be loading this build and not another one: check in a child.
loaded=$(node --import tsx --input-type=module -e "
  import { readFileSync } from 'node:fs';
  const { openSystemHandle } = await import('./lib/native/handle.ts');
  openSystemHandle('/dev/null').close();
  const maps = readFileSync('/proc/self/maps', 'utf8');
  console.log([process.env.KVM_CAPS_NATIVE, 'libasan.so', 'libubsan.so'].every((s) => maps.includes(s)) ? 'yes' : 'no');")
if [[ $loaded != yes ]]; then
  echo "asan: a child with this environment did not map the sanitizer build and runtimes" >&2
  exit 1
fi

# Both tiers by default (test/run.ts: fast, then e2e), or the given tiers and files.
echo "asan: built in $((built - started)) s; node --import tsx test/run.ts ${*:-fast e2e} with KVM_CAPS_NATIVE=$addon"
status=0
if [[ $# -gt 0 ]]; then
  node --import tsx test/run.ts "$@" || status=$?
else
  node --import tsx test/run.ts fast e2e || status=$?
fi
# Nothing printed after the suite: its last line says what ran and what was skipped.
exit "$status"
