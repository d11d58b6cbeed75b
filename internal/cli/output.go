package cli

import (
	"fmt"
	"os"

	"github.com/plangate/plangate/internal/atomicfile"
	"github.com/plangate/plangate/internal/config"
)

// checkOutput refuses an --output that is the baseline file, however it is
// named (a symbolic link, a hard link, another spelling of the path): the
// report would replace the baseline it was compared with.
func checkOutput(cfg config.Config) error {
	if cfg.Output == "" || cfg.Baseline == "" {
		return nil
	}
	out, err := atomicfile.Resolve(cfg.Output)
	if err != nil {
		return fmt.Errorf("--output %s: %w", cfg.Output, err)
	}
	base, err := atomicfile.Resolve(cfg.Baseline)
	if err != nil {
		return fmt.Errorf("--baseline %s: %w", cfg.Baseline, err)
	}
	same := out == base
	if oi, err := os.Stat(out); err == nil {
		if bi, err := os.Stat(base); err == nil {
			same = same || os.SameFile(oi, bi)
		}
	}
	if same {
		return fmt.Errorf("--output %s is the baseline file %s: the report would replace it; write the report elsewhere", cfg.Output, cfg.Baseline)
	}
	return nil
}
