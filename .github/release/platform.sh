# shellcheck shell=bash
# Sourced by build.sh and .github/action/install.sh, so that both name a
# machine as the release archives do.
#
# platform prints this machine's OS and architecture in the archives'
# terms: "linux amd64", "darwin arm64"; anything else as uname says it.
platform() {
	local os arch
	case "$(uname -s)" in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	*) os=$(uname -s) ;;
	esac
	case "$(uname -m)" in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) arch=$(uname -m) ;;
	esac
	echo "$os $arch"
}
