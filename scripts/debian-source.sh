#!/usr/bin/env bash
# Fetches the upstream (orig) tarball of a Debian source package into DEST and prints its path.
# apt fetches it from the archive this machine's apt sources name, and checks it against the
# signed Sources index; nothing of the machine's apt configuration changes (a private copy of its
# sources, with source packages switched on, and private lists).
#
#   scripts/debian-source.sh SOURCE_PACKAGE DEST      (env VERSION=... for one version)
set -euo pipefail
package=${1:?usage: debian-source.sh SOURCE_PACKAGE DEST}
dest=${2:?usage: debian-source.sh SOURCE_PACKAGE DEST}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/src" "$dest"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -e "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" > "$work/parts/$(basename "$f")"
done
apt_src=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
         -o "Dir::State::Lists=$work/lists")
apt-get "${apt_src[@]}" update -qq > "$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 1; }
# apt may fail to fetch the Debian patches of a version the archive has moved past (the security
# pool); only the upstream tarball is needed, and apt has checked it when it is there.
(cd "$work/src" && apt-get "${apt_src[@]}" source --download-only \
   "$package${VERSION:+=$VERSION}" >> "$work/apt.log" 2>&1) || true
tarball=$(find "$work/src" -maxdepth 1 -name "*.orig.tar.*" ! -name "*.asc" | head -1)
[ -n "$tarball" ] || { cat "$work/apt.log" >&2; echo "apt did not fetch $package's orig tarball" >&2; exit 1; }
mv "$tarball" "$dest/"
echo "$dest/$(basename "$tarball")"
