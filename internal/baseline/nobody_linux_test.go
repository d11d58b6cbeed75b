package baseline

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// runAsNobody runs the test binary bin as user nobody to Write path.
func runAsNobody(bin, path string) error {
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), writeEnv+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}
