#!/usr/bin/env bash
# Builds one release archive of plangate, the same way on a laptop and in
# .github/workflows/release.yml:
#
#   .github/release/build.sh OS ARCH VERSION OUTDIR
#   .github/release/build.sh linux amd64 v1.2.3 dist
#     -> dist/plangate_1.2.3_linux_amd64.tar.gz (plangate, LICENSE, README.md)
#
# OS is linux or darwin, ARCH amd64 or arm64, VERSION the release tag
# (vMAJOR.MINOR.PATCH[-PRERELEASE]): the binary reports it (plangate
# --version) and the archive is named by it without its "v". Prints the
# archive's path.
#
# plangate needs cgo (pg_query's C parser). On linux the binary is static:
# Go's own resolver and user lookup (netgo, osusergo) leave pg_query as the
# only C, linked statically against libc, so it runs on any distribution,
# glibc or musl, of the same architecture. On darwin it links libSystem, as
# every macOS program does, for macOS 12 and later.
#
# Native builds need only Go and a C compiler. Another ARCH than the
# machine's needs a cross compiler in CC: by default aarch64-linux-gnu-gcc
# or x86_64-linux-gnu-gcc on linux (Debian's gcc-aarch64-linux-gnu,
# gcc-x86-64-linux-gnu), and Apple's clang, which targets both, on darwin.
# Building for another OS than the machine's is refused.
#
# The archive is reproducible: -trimpath, no build ID or VCS stamp in the
# binary, and files dated SOURCE_DATE_EPOCH (default: the commit's time)
# owned by 0:0 in a ustar archive compressed without a name or time.
set -euo pipefail

if (($# != 4)); then
	echo "usage: $0 OS ARCH VERSION OUTDIR" >&2
	exit 2
fi
os=$1 arch=$2 version=$3 outdir=$4
root=$(cd "$(dirname "$0")/../.." && pwd)

case $os in linux | darwin) ;; *)
	echo "OS $os: use linux or darwin" >&2
	exit 2
	;;
esac
case $arch in amd64 | arm64) ;; *)
	echo "ARCH $arch: use amd64 or arm64" >&2
	exit 2
	;;
esac
if [[ ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	echo "VERSION $version: want a release tag such as v1.2.3 or v1.3.0-rc.1" >&2
	exit 2
fi

# shellcheck source=SCRIPTDIR/platform.sh
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"
read -r host_os host_arch <<<"$(platform)"
if [[ $os != "$host_os" ]]; then
	echo "building for $os on $host_os: cgo needs that OS's C toolchain; build on a $os machine" >&2
	exit 2
fi

export CGO_ENABLED=1 GOOS=$os GOARCH=$arch
tags=
ldflags="-s -w -buildid= -X github.com/plangate/plangate/internal/cli.Version=$version"
case $os in
linux)
	tags=netgo,osusergo
	ldflags="$ldflags -linkmode=external -extldflags=-static"
	if [[ $arch != "$host_arch" && -z ${CC:-} ]]; then
		case $arch in
		arm64) CC=aarch64-linux-gnu-gcc ;;
		amd64) CC=x86_64-linux-gnu-gcc ;;
		esac
		if ! command -v "$CC" >/dev/null; then
			echo "building for linux/$arch on linux/$host_arch needs a cross compiler: install $CC (Debian: gcc-${CC%-gcc}) or set CC" >&2
			exit 2
		fi
		export CC
	fi
	;;
darwin)
	export MACOSX_DEPLOYMENT_TARGET=12.0
	if [[ $arch != "$host_arch" && -z ${CC:-} ]]; then
		case $arch in
		arm64) export CC="clang -arch arm64" ;;
		amd64) export CC="clang -arch x86_64" ;;
		esac
	fi
	;;
esac

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
name="plangate_${version#v}_${os}_${arch}"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

echo "building plangate $version for $os/$arch with $(go version | cut -d' ' -f3)${CC:+ and CC=$CC}" >&2
(cd "$root" && go build -trimpath -buildvcs=false ${tags:+-tags "$tags"} -ldflags "$ldflags" \
	-o "$stage/plangate" ./cmd/plangate)
cp "$root/LICENSE" "$root/README.md" "$stage/"

if [[ $os == linux ]] && command -v readelf >/dev/null && readelf -l "$stage/plangate" | grep -q INTERP; then
	echo "$name: the binary is dynamically linked (it has a program interpreter): want a static one" >&2
	exit 1
fi
if [[ $arch == "$host_arch" ]]; then
	got=$("$stage/plangate" --version)
	if [[ $got != "plangate version $version" ]]; then
		echo "$name: plangate --version says \"$got\", want \"plangate version $version\"" >&2
		exit 1
	fi
fi

stamp=$(date -u -d "@$epoch" +%Y%m%d%H%M.%S 2>/dev/null || date -u -r "$epoch" +%Y%m%d%H%M.%S)
files=(plangate LICENSE README.md)
chmod 0755 "$stage/plangate"
chmod 0644 "$stage/LICENSE" "$stage/README.md"
(cd "$stage" && TZ=UTC touch -t "$stamp" "${files[@]}")
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
	owner=(--owner=0 --group=0 --numeric-owner --format=ustar)
else
	# bsdtar (macOS): no resource forks or extended attributes either.
	export COPYFILE_DISABLE=1
	owner=(--uid 0 --gid 0 --numeric-owner --format ustar --no-mac-metadata)
fi
tar "${owner[@]}" -cf - -C "$stage" "${files[@]}" | gzip -n -9 >"$outdir/$name.tar.gz.tmp"
mv "$outdir/$name.tar.gz.tmp" "$outdir/$name.tar.gz"
echo "$outdir/$name.tar.gz"
