#!/usr/bin/env bash
# Writes DIR/checksums.txt: the SHA-256 of every release archive in DIR
# (plangate_*.tar.gz), one "HASH  NAME" line each, sorted by name, as
# `sha256sum -c checksums.txt` and `shasum -a 256 -c checksums.txt` check.
#
#   .github/release/checksums.sh dist
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 DIR" >&2
	exit 2
fi
cd "$1"
shopt -s nullglob
archives=(plangate_*.tar.gz)
if ((${#archives[@]} == 0)); then
	echo "$1: no plangate_*.tar.gz to sum" >&2
	exit 1
fi
if command -v sha256sum >/dev/null; then
	sum=(sha256sum)
else
	sum=(shasum -a 256)
fi
LC_ALL=C "${sum[@]}" "${archives[@]}" | LC_ALL=C sort -k 2 >checksums.txt.tmp
mv checksums.txt.tmp checksums.txt
cat checksums.txt
