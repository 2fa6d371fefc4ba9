#!/usr/bin/env bash
# Checks that a client library exports exactly its ABI, the C API of its public header: every C
# function declared in client.h, nothing else (no C++ symbol: the C++ API is header-only over the
# C API). Usage: check_exports.sh LIBRARY CLIENT_H
set -euo pipefail
lib=$1 c_header=$2
mapfile -t c_functions < <(grep -oE '\blicd_[a-z_]+\(' "$c_header" | tr -d '(' | sort -u)
[ ${#c_functions[@]} -gt 5 ] || { echo "could not read the API from $c_header"; exit 1; }
mapfile -t exported < <(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
status=0
for sym in "${exported[@]}"; do
  printf '%s\n' "${c_functions[@]}" | grep -qxF "$sym" && continue
  echo "exported but not in the public header: $(c++filt "$sym")"
  status=1
done
for f in "${c_functions[@]}"; do
  printf '%s\n' "${exported[@]}" | grep -qxF "$f" || { echo "not exported: $f"; status=1; }
done
echo "${#exported[@]} symbols exported; ${#c_functions[@]} C functions in the header"
exit $status
