package lineage

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctq-dev/ctq/pkg/termtext"
)

// WriteJSON writes r as one indented JSON object: the credentials (each
// with its access key id, ARN, how it was issued, event count, first/last,
// source IPs, user agents and flags) and the links with their proving
// eventIDs. Strings are JSON-escaped, so control characters from logs
// cannot reach a terminal raw.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteEvents writes the lineage's raw records (Result.Events) as NDJSON,
// byte-identical to the source records. It needs Config.KeepEvents.
func WriteEvents(w io.Writer, r *Result) error {
	for _, raw := range r.Events() {
		if _, err := w.Write(raw); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	return nil
}

// WriteTree writes r for a terminal: one line per credential, indented by
// lineage from each root, with its summary, then the flags, notes and
// warnings. A credential reached again (a repeated issuance or a cycle) is
// printed once and referred to afterwards. Every value taken from a log is
// escaped (Escape).
func WriteTree(w io.Writer, r *Result) error {
	tw := &treeWriter{w: w, r: r, printed: map[string]bool{}}
	for _, c := range r.Credentials {
		if len(r.Parents(c.ID)) == 0 {
			tw.node(c, Link{}, 0)
		}
	}
	// Nodes only reachable through a cycle have no root.
	for _, c := range r.Credentials {
		if !tw.printed[c.ID] {
			tw.node(c, Link{}, 0)
		}
	}
	for _, m := range r.Warnings {
		tw.printf("warning: %s\n", termtext.Escape(m))
	}
	return tw.err
}

type treeWriter struct {
	w       io.Writer
	r       *Result
	printed map[string]bool
	err     error
}

func (tw *treeWriter) printf(format string, args ...any) {
	if tw.err == nil {
		_, tw.err = fmt.Fprintf(tw.w, format, args...)
	}
}

func (tw *treeWriter) node(c *Credential, via Link, depth int) {
	pad := strings.Repeat("  ", depth)
	arrow := ""
	if depth > 0 {
		arrow = "└ "
		if via.Inferred {
			arrow = "└?"
		}
	}
	if tw.printed[c.ID] {
		tw.printf("%s%s%s (see above; %s %s)\n", pad, arrow, termtext.Escape(c.ID), termtext.Escape(via.Mechanism), termtext.Escape(via.EventID))
		return
	}
	tw.printed[c.ID] = true
	tw.printf("%s%s%s\n", pad, arrow, tw.line(c, via))
	sub := pad + strings.Repeat(" ", utf8.RuneCountInString(arrow))
	for _, f := range c.Flags {
		tw.printf("%s  !! %s (%s): events %s\n", sub, f.Kind, strings.Join(f.Reasons, ", "), termtext.Escape(strings.Join(f.Evidence, " ")))
	}
	if c.Unlinked != "" {
		tw.printf("%s  unlinked: %s\n", sub, termtext.Escape(c.Unlinked))
	}
	for _, m := range c.Warnings {
		tw.printf("%s  warning: %s\n", sub, termtext.Escape(m))
	}
	shown := map[string]int{} // leaf sessions printed per ARN
	hidden := map[string][2]int{}
	var order []string
	for _, l := range tw.r.Children(c.ID) {
		k := tw.r.Credential(l.To)
		if k == nil {
			continue
		}
		if leaf := k.ARN != "" && len(k.Flags) == 0 && len(tw.r.Children(k.ID)) == 0 && !tw.printed[k.ID]; leaf {
			if shown[k.ARN] >= collapseAfter {
				h, ok := hidden[k.ARN]
				if !ok {
					order = append(order, k.ARN)
				}
				hidden[k.ARN] = [2]int{h[0] + 1, h[1] + k.Events}
				tw.printed[k.ID] = true
				continue
			}
			shown[k.ARN]++
		}
		tw.node(k, l, depth+1)
	}
	for _, arn := range order {
		h := hidden[arn]
		tw.printf("%s  └ … %d more sessions of %s (%d events; all in the JSON output)\n", pad, h[0], termtext.Escape(arn), h[1])
	}
}

// collapseAfter is how many sessions with the same ARN and nothing below
// them the tree prints under one issuer before it folds the rest into one
// line: a service role assumed every few minutes would otherwise fill the
// screen.
const collapseAfter = 3

// line renders one credential's summary line.
func (tw *treeWriter) line(c *Credential, via Link) string {
	var b strings.Builder
	b.WriteString(termtext.Escape(c.ID))
	if c.ARN != "" && c.ARN != c.ID {
		fmt.Fprintf(&b, " %s", termtext.Escape(c.ARN))
	}
	if c.Target {
		b.WriteString(" [target]")
	}
	if c.SourceIdentity != "" {
		fmt.Fprintf(&b, " sourceIdentity=%s", termtext.Escape(c.SourceIdentity))
	}
	switch {
	case via.EventID != "":
		fmt.Fprintf(&b, " via %s %s", termtext.Escape(via.Mechanism), termtext.Escape(via.EventID))
		if via.Inferred {
			fmt.Fprintf(&b, " (inferred, %s)", via.Rule)
		}
	case c.UnlinkedRoot:
		b.WriteString(" (unlinked root)")
	case c.Mechanism == MechPrincipal:
		b.WriteString(" (principal)")
	}
	if c.Events > 0 {
		fmt.Fprintf(&b, ": %d events %s..%s", c.Events, c.First.Format(time.RFC3339), c.Last.Format(time.RFC3339))
		if len(c.Accounts) > 0 {
			fmt.Fprintf(&b, " accounts=%s", termtext.Escape(strings.Join(c.Accounts, ",")))
		}
		if len(c.Regions) > 0 {
			fmt.Fprintf(&b, " regions=%s", termtext.Escape(strings.Join(c.Regions, ",")))
		}
		if len(c.TopAPIs) > 0 {
			apis := make([]string, len(c.TopAPIs))
			for i, a := range c.TopAPIs {
				apis[i] = fmt.Sprintf("%s(%d)", a.Value, a.N)
			}
			fmt.Fprintf(&b, " apis=%s", termtext.Escape(strings.Join(apis, ",")))
		}
		fmt.Fprintf(&b, " ips=%s", termtext.Escape(strings.Join(c.SourceIPs, ",")))
		fmt.Fprintf(&b, " agents=%d", len(c.UserAgents))
		if c.Errors > 0 {
			fmt.Fprintf(&b, " errors=%d", c.Errors)
		}
	}
	return b.String()
}
