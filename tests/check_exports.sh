#!/usr/bin/env bash
# Checks that a client library exports exactly the API of its public headers: every C function
# declared in client.h, and C++ symbols of the classes declared in client.hpp (their members,
# vtables and typeinfo), nothing else. Usage: check_exports.sh LIBRARY CLIENT_H CLIENT_HPP
set -euo pipefail
lib=$1 c_header=$2 cpp_header=$3
mapfile -t c_functions < <(grep -oE '\blicd_[a-z_]+\(' "$c_header" | tr -d '(' | sort -u)
mapfile -t cpp_classes < <(grep -oE '^(class|struct) (LICD_API )?[a-z_]+' "$cpp_header" \
                             | awk '{print $NF}' | sort -u)
[ ${#c_functions[@]} -gt 5 ] && [ ${#cpp_classes[@]} -gt 1 ] \
  || { echo "could not read the API from the headers"; exit 1; }
mapfile -t exported < <(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
status=0
allowed_cpp=$(printf '%s|' "${cpp_classes[@]}"); allowed_cpp=${allowed_cpp%|}
for sym in "${exported[@]}"; do
  if printf '%s\n' "${c_functions[@]}" | grep -qxF "$sym"; then
    continue
  fi
  demangled=$(c++filt "$sym")
  if [[ $demangled =~ ^((typeinfo|typeinfo\ name|vtable)\ for\ )?licd::($allowed_cpp)(::|$) ]]; then
    continue
  fi
  echo "exported but not in the public headers: $demangled"
  status=1
done
for f in "${c_functions[@]}"; do
  printf '%s\n' "${exported[@]}" | grep -qxF "$f" || { echo "not exported: $f"; status=1; }
done
echo "${#exported[@]} symbols exported; ${#c_functions[@]} C functions and classes ${cpp_classes[*]} in the headers"
exit $status
