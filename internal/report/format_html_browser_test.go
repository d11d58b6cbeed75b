package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium or Chrome binary. When there is none the
// browser tests skip, unless PLANGATE_REQUIRE_CHROMIUM=1 (as in CI), when
// they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PLANGATE_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("no chromium in PATH and PLANGATE_REQUIRE_CHROMIUM=1: install it (apt-get install chromium)")
	}
	t.Skip("no chromium in PATH: install it (apt-get install chromium) or set PLANGATE_REQUIRE_CHROMIUM=1 to require it")
	return ""
}

// The colours a regression is highlighted with (--fail and --fail-bg in
// format_html.tmpl), as getComputedStyle reports them.
const (
	failColor   = "rgb(180, 35, 24)"
	failBgColor = "rgb(254, 243, 242)"
)

// TestHTML_Chromium renders the HTML report in headless Chromium at desktop
// and phone widths and checks that the regressed query comes first, is in
// view and highlighted, that its failing node is flagged, that a finding
// pointing at a node highlights it, and that nothing overflows the page
// sideways. Screenshots go to the test's temporary directory, or to
// PLANGATE_SCREENSHOT_DIR when set.
func TestHTML_Chromium(t *testing.T) {
	chromium := chromiumPath(t)
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := Write(&buf, "html", findingsReport(t), Meta{Postgres: "15.8", Backend: "local"}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PLANGATE_SCREENSHOT_DIR")
	if shots == "" {
		shots = dir
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests may run as root, where the sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()

	type probe struct {
		Name        string  `json:"name"`
		Top         float64 `json:"top"`
		Bottom      float64 `json:"bottom"`
		ViewHeight  float64 `json:"viewHeight"`
		Border      string  `json:"border"`
		Background  string  `json:"background"`
		Flagged     int     `json:"flagged"`
		FlagBorder  string  `json:"flagBorder"`
		Overflow    float64 `json:"overflow"`
		PlansColumn int     `json:"plansColumns"`
	}
	const probeJS = `(() => {
		const q = document.querySelector("main section.query");
		const r = q.getBoundingClientRect();
		const s = getComputedStyle(q);
		const flagged = q.querySelectorAll(".plan.current li.node.flag-fail");
		const plans = q.querySelector(".plans");
		return {
			name: q.querySelector("h2").textContent,
			top: r.top, bottom: r.bottom, viewHeight: window.innerHeight,
			border: s.borderLeftColor, background: s.backgroundColor,
			flagged: flagged.length,
			flagBorder: flagged.length ? getComputedStyle(flagged[0]).borderLeftColor : "",
			overflow: document.documentElement.scrollWidth - window.innerWidth,
			plansColumns: plans ? getComputedStyle(plans).gridTemplateColumns.split(" ").length : 0,
		};
	})()`

	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
		columns       int // of the side-by-side plans
	}{
		{name: "desktop", width: 1280, height: 900, columns: 2},
		{name: "phone", width: 390, height: 844, mobile: true, columns: 1},
	} {
		t.Run(vp.name, func(t *testing.T) {
			tabCtx, cancelTab := chromedp.NewContext(allocCtx)
			defer cancelTab()
			var emulate []chromedp.EmulateViewportOption
			if vp.mobile {
				emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			err := chromedp.Do(tabCtx,
				chromedp.EmulateViewport(vp.width, vp.height, emulate...),
				chromedp.Navigate("file://"+page),
				chromedp.WaitVisible(chromedp.CSS("main section.query.regressed")),
			)
			if err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(tabCtx, chromedp.Evaluate[probe](probeJS))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(tabCtx, chromedp.FullScreenshot(80))
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(tabCtx, chromedp.Click(chromedp.CSS("main section.query.regressed a[data-node]"))); err != nil {
				t.Fatal(err)
			}
			targeted, err := chromedp.Run(tabCtx, chromedp.Evaluate[int](`document.querySelectorAll("li.node.target").length`))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(shots, "report-"+vp.name+".png")
			if err := os.WriteFile(path, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)

			if got.Name != "account_lookup" {
				t.Errorf("first query is %q, want the regressed account_lookup", got.Name)
			}
			if got.Top < 0 || got.Top >= got.ViewHeight || got.Bottom <= 0 {
				t.Errorf("regressed query at %v..%v, outside the %v px viewport", got.Top, got.Bottom, got.ViewHeight)
			}
			if got.Border != failColor || got.Background != failBgColor {
				t.Errorf("regressed query has border %s and background %s, want %s and %s", got.Border, got.Background, failColor, failBgColor)
			}
			if got.Flagged == 0 || got.FlagBorder != failColor {
				t.Errorf("%d flagged nodes in the current plan, border %q; want the failing node flagged in %s", got.Flagged, got.FlagBorder, failColor)
			}
			if got.Overflow > 0 {
				t.Errorf("the page is %v px wider than the %d px viewport", got.Overflow, vp.width)
			}
			if got.PlansColumn != vp.columns {
				t.Errorf("plans laid out in %d columns, want %d", got.PlansColumn, vp.columns)
			}
			if targeted != 1 {
				t.Errorf("clicking a finding highlighted %d nodes, want 1", targeted)
			}
		})
	}
}
