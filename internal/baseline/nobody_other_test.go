//go:build !linux

package baseline

import "errors"

func runAsNobody(bin, path string) error {
	return errors.New("cannot drop root privileges on this system; run the tests as another user")
}
