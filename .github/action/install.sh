#!/usr/bin/env bash
# Puts the plangate of the action's ref at DIR/plangate; action.yml's first
# step runs it:
#
#   install.sh DIR
#
# A released ref gets its release's archive for this machine's OS and
# architecture (plangate_<version>_<os>_<arch>.tar.gz, made by
# .github/release/build.sh), checked against the release's checksums.txt:
#
#   v1.2.3   the release v1.2.3
#   v1, v1.2 the release vX.Y.Z whose tag names the same commit as the moving
#            tag (the newest such), found with git ls-remote
#
# Anything else (uses: ./, a branch, a commit, a tag with no release, an OS
# or architecture with no archive) is built from the action's source with
# the runner's Go, as is the archive when it cannot be downloaded or run.
# An archive that does not match its checksum is an error (exit 2): never
# used, never silently replaced by a build.
#
# Environment: ACTION_REF (github.action_ref), ACTION_PATH
# (github.action_path), ACTION_REPOSITORY (github.action_repository, default
# plangate/plangate); PLANGATE_RELEASE_URL, where releases are downloaded
# from (default https://github.com/OWNER/NAME/releases/download; a release's
# files are under <url>/<tag>/), and PLANGATE_RELEASE_REPO, the git
# repository whose tags resolve a moving tag (default
# https://github.com/OWNER/NAME).
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dest=$1
mkdir -p "$dest"
action_path=${ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
ref=${ACTION_REF:-}
repo=${ACTION_REPOSITORY:-plangate/plangate}
release_url=${PLANGATE_RELEASE_URL:-https://github.com/$repo/releases/download}
release_url=${release_url%/}
tags_repo=${PLANGATE_RELEASE_REPO:-https://github.com/$repo}
work=$(mktemp -d "${RUNNER_TEMP:-/tmp}/plangate-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# build_from_source WHY: go build of the action's source, the version
# stamped with the ref.
build_from_source() {
	if ! command -v go >/dev/null 2>&1; then
		echo "::error title=plangate::Go is not installed: add actions/setup-go before this action (plangate is built from source: $1)"
		exit 2
	fi
	echo "Building plangate ${ref:-dev} from source ($1) with $(go version)"
	(cd "$action_path" && go build -trimpath \
		-ldflags "-X github.com/plangate/plangate/internal/cli.Version=${ref:-dev}" \
		-o "$dest/plangate" ./cmd/plangate)
	exit 0
}

# fetch URL FILE: downloads URL to FILE; prints the HTTP status, 000 when
# there was no answer (curl's error is in $work/curl.err).
fetch() {
	curl -sSL --retry 3 --retry-delay 2 --connect-timeout 20 --max-time 600 \
		-o "$2" -w '%{http_code}' "$1" 2>"$work/curl.err" || true
}

# why_fetch CODE: what went wrong with a download, in a few words.
why_fetch() {
	if [[ $1 == 000 ]]; then
		echo "no answer: $(tail -n 1 "$work/curl.err")"
	else
		echo "HTTP $1"
	fi
}

# sha256 FILE: its SHA-256 in hex.
sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# resolve_moving_tag REF: prints the newest vX.Y.Z tag on the commit that
# REF (v1, v1.2) names in $tags_repo, or nothing. Fails when the tags
# cannot be listed.
resolve_moving_tag() {
	local listing commits commit newest
	listing=$(GIT_TERMINAL_PROMPT=0 git ls-remote --tags "$tags_repo" 2>"$work/git.err") || return 1
	# tag -> commit, annotated tags peeled to theirs.
	commits=$(awk '{
		name = $2; sub(/^refs\/tags\//, "", name)
		if (sub(/\^\{\}$/, "", name)) peeled[name] = $1; else direct[name] = $1
	} END {
		for (name in direct) { c = direct[name]; if (name in peeled) c = peeled[name]; print c, name }
	}' <<<"$listing")
	commit=$(awk -v r="$1" '$2 == r { print $1 }' <<<"$commits")
	[[ -n $commit ]] || return 0
	newest=$(awk -v c="$commit" -v p="$1." \
		'$1 == c && index($2, p) == 1 && $2 ~ /^v[0-9]+\.[0-9]+\.[0-9]+$/ { print substr($2, 2) }' <<<"$commits" |
		sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)
	[[ -z $newest ]] || echo "v$newest"
}

# shellcheck source=SCRIPTDIR/../release/platform.sh
source "$(dirname "${BASH_SOURCE[0]}")/../release/platform.sh"
read -r os arch <<<"$(platform)"

if [[ -z $ref ]]; then
	build_from_source "the action is used from a path, not a release"
fi
if [[ $ref =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	tag=$ref
elif [[ $ref =~ ^v[0-9]+(\.[0-9]+)?$ ]]; then
	if ! tag=$(resolve_moving_tag "$ref"); then
		echo "::warning title=plangate::the tags of $tags_repo could not be listed ($(tail -n 1 "$work/git.err")): building plangate from source"
		build_from_source "$ref could not be resolved to a release"
	fi
	if [[ -z $tag ]]; then
		build_from_source "no release tag vX.Y.Z names the commit of $ref"
	fi
	echo "plangate: $ref is release $tag"
else
	build_from_source "$ref is a branch or a commit, not a release"
fi

code=$(fetch "$release_url/$tag/checksums.txt" "$work/checksums.txt")
case $code in
200) ;;
404) build_from_source "$tag has no release" ;;
*)
	echo "::warning title=plangate::the checksums of release $tag could not be downloaded ($(why_fetch "$code")): building plangate from source"
	build_from_source "the release could not be downloaded"
	;;
esac
# "HASH  NAME" lines; sha256sum's binary mode marks the name with "*".
asset=$(awk -v suffix="_${os}_${arch}.tar.gz" '{
	name = $2; sub(/^\*/, "", name)
	if (index(name, "plangate_") == 1 && length(name) > length(suffix) &&
		substr(name, length(name) - length(suffix) + 1) == suffix) { print name; exit }
}' "$work/checksums.txt")
if [[ -z $asset ]]; then
	build_from_source "release $tag has no archive for $os/$arch"
fi
want=$(awk -v n="$asset" '{ name = $2; sub(/^\*/, "", name) } name == n { print tolower($1); exit }' "$work/checksums.txt")

code=$(fetch "$release_url/$tag/$asset" "$work/$asset")
if [[ $code != 200 ]]; then
	echo "::warning title=plangate::$asset of release $tag could not be downloaded ($(why_fetch "$code")): building plangate from source"
	build_from_source "the release could not be downloaded"
fi
got=$(sha256 "$work/$asset")
if [[ $got != "$want" ]]; then
	echo "::error title=plangate::$asset of release $tag has SHA-256 $got, but the release's checksums.txt says ${want:-nothing}: the download is corrupt or was tampered with, and is not used"
	exit 2
fi

mkdir "$work/x"
if ! tar -xzf "$work/$asset" -C "$work/x" plangate 2>"$work/tar.err"; then
	echo "::error title=plangate::$asset of release $tag matches its checksum but is not an archive holding plangate ($(tail -n 1 "$work/tar.err"))"
	exit 2
fi
if ! version=$("$work/x/plangate" --version 2>&1); then
	echo "::warning title=plangate::plangate of $asset does not run on this machine ($version): building plangate from source"
	build_from_source "the released binary does not run here"
fi
mv "$work/x/plangate" "$dest/plangate"
echo "Using plangate $tag: $asset from $release_url/$tag (SHA-256 verified against checksums.txt); ${version#plangate }"
