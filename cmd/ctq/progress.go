package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr, drawn only when stderr is a
// terminal and --quiet is not set. A nil *progress does nothing, so callers
// need not check.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress starts a bar of max units (bytes when bytes is set), or a
// spinner with the elapsed time when max is not positive (work of unknown
// size so far; update may give the size later).
func newProgress(e *env, quiet bool, max int64, bytes bool, desc string) *progress {
	if quiet || !isTerminal(e.stderr) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSetWidth(24),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionUseIECUnits(true))
	}
	opts = append(opts, progressbar.OptionSpinnerType(14), progressbar.OptionSetPredictTime(true))
	if max <= 0 {
		max = -1 // a bar of 0 units would be finished, and cleared, at once
	}
	return &progress{bar: progressbar.NewOptions64(max, opts...)}
}

// update sets the bar to n of max (max <= 0 keeps the current max) with a
// new description.
func (p *progress) update(n, max int64, desc string) {
	if p == nil {
		return
	}
	if max > 0 && max != p.bar.GetMax64() {
		p.bar.ChangeMax64(max)
	}
	p.bar.Describe(desc)
	_ = p.bar.Set64(n)
}

// add advances the bar by n units.
func (p *progress) add(n int64) {
	if p != nil {
		_ = p.bar.Add64(n)
	}
}

// done removes the bar from the terminal.
func (p *progress) done() {
	if p == nil {
		return
	}
	_ = p.bar.Finish()
	_ = p.bar.Clear()
}
