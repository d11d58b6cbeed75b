package cli

import "runtime/debug"

// version is plangate's version: Version when the build set it (release
// builds and the action), else the module version Go recorded in the
// binary (`go install github.com/plangate/plangate/cmd/plangate@v1.2.3`),
// else "dev" (a build from a checkout).
func version() string {
	if Version != "dev" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	return moduleVersion(info.Main.Version)
}

// moduleVersion is v, the main module's version from the build info, when
// it names a release or a pseudo-version; "(devel)" and "" are a checkout.
func moduleVersion(v string) string {
	if v == "" || v == "(devel)" {
		return "dev"
	}
	return v
}
