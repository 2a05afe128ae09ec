package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/ingest"
	"github.com/ctq-dev/ctq/pkg/objstore"
	"github.com/ctq-dev/ctq/pkg/query"
	"github.com/ctq-dev/ctq/pkg/termtext"
)

const watchLong = `Every --every, ingests the objects SOURCE (s3://bucket[/prefix] or a
directory, as for ctq ingest) has received since the last cycle, evaluates
the rules on the new events only, and prints each alarm as one JSON line on
stdout. Without SOURCE, the rules run on whatever other writers commit to
the lake. The high-water mark (the last evaluated commit of the lake) is
kept in the lake under _ctq/watch/NAME.json, so a restarted watcher neither
repeats alarms nor misses events; a new watcher starts at the lake's
current state (use ctq detect for the history). Alarms do not stop it and do
not change its exit code; SIGINT/SIGTERM stop it cleanly.

--exec CMD runs CMD for each alarm with the alarm JSON on stdin (CMD is split
into words, quotes group; no shell is involved and no value from the logs is
put on its command line). --webhook URL POSTs each alarm JSON to URL.`

func init() { addCommand(45, "watch", newWatchCmd) }

type watchFlags struct {
	lf    lakeFlags
	parts partitionFlags
	ruleFlags
	workers int
	every   time.Duration
	name    string
	execCmd string
	webhook string
	quiet   bool
	insight bool
	network bool
	rawPage rawPageFlag
}

func newWatchCmd(e *env) *cobra.Command {
	var f watchFlags
	c := &cobra.Command{
		Use:     "watch [SOURCE]",
		Short:   "ingest new objects every interval, run the rules on the new events, emit alarms",
		Long:    watchLong,
		GroupID: "read",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("watch: want at most one SOURCE, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runWatch(c.Context(), e, &f, args)
		},
	}
	f.lf.register(c)
	f.parts.register(c, &f.lf, e)
	f.ruleFlags.register(c)
	fs := c.Flags()
	fs.IntVar(&f.workers, "workers", 0, "ingest and evaluation workers (default: number of CPUs)")
	durationFlag(c, &f.every, "every", 5*time.Minute, "interval between cycles")
	fs.StringVar(&f.name, "name", "default", "name of this watcher's high-water mark in the lake")
	fs.StringVar(&f.execCmd, "exec", "", "command run per alarm, alarm JSON on stdin")
	fs.StringVar(&f.webhook, "webhook", "", "URL to POST each alarm JSON to")
	quietFlag(c, &f.quiet)
	fs.BoolVar(&f.insight, "include-insight", false, "also ingest CloudTrail-Insight events")
	fs.BoolVar(&f.network, "include-network-activity", false, "also ingest CloudTrail-NetworkActivity events")
	f.rawPage.register(c)
	return c
}

func runWatch(ctx context.Context, e *env, f *watchFlags, pos []string) error {
	if f.every < time.Second {
		return usagef("--every %s: must be at least 1s", f.every)
	}
	if !detect.ValidWatchName(f.name) {
		return usagef("--name %q: want 1-64 letters, digits, '.', '_' or '-'", f.name)
	}
	if err := f.parts.validate(); err != nil {
		return err
	}
	var err error
	var argv []string
	if f.execCmd != "" {
		if argv, err = splitCommand(f.execCmd); err != nil {
			return usagef("--exec: %v", err)
		}
	}
	if f.webhook != "" {
		u, err := url.Parse(f.webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--webhook %q: want an http:// or https:// URL", f.webhook)
		}
	}
	rules, err := f.loadRules(e)
	if err != nil {
		return err
	}
	opts := query.Options{Accounts: f.parts.accounts, Regions: f.parts.regions, Workers: f.workers}
	lake, err := f.lf.open(ctx, e)
	if err != nil {
		return err
	}
	cfg := detect.WatchConfig{Name: f.name, Lake: lake, Rules: rules, Every: f.every, Query: opts, MaxEventIDs: f.maxEventIDs, MaxGroups: f.maxGroups}
	if len(pos) == 1 {
		ic := ingest.DefaultConfig()
		loc, err := objstore.ParseLocation(pos[0])
		if err != nil {
			return usagef("source: %v", err)
		}
		if ic.Source, err = openBucket(ctx, loc, f.lf.aws.options()); err != nil {
			return fmt.Errorf("open source %s: %w", pos[0], err)
		}
		ic.Lake = lake
		ic.Accounts, ic.Regions = opts.Accounts, opts.Regions
		ic.IncludeInsight, ic.IncludeNetworkActivity = f.insight, f.network
		if ic.RawPageBytes, err = f.rawPage.bytes(); err != nil {
			return err
		}
		if f.workers > 0 {
			ic.Workers = f.workers
		}
		cfg.Ingest = &ic
	}
	n := &notifier{stdout: e.stdout, stderr: e.stderr, argv: argv, webhook: f.webhook, timeout: min(f.every, time.Minute)}
	if n.timeout < 10*time.Second {
		n.timeout = 10 * time.Second
	}
	cfg.Notify = n.notify
	cfg.OnCycle = func(rep detect.CycleReport) {
		for _, ne := range rep.NotifyErrors {
			fmt.Fprintf(e.stderr, "ctq watch: notify: %s\n", termtext.Escape(ne))
		}
		if rep.IngestError != "" {
			fmt.Fprintf(e.stderr, "ctq watch: %s\n", termtext.Escape(rep.IngestError))
		}
		if rep.Ingest != nil {
			for _, p := range rep.Ingest.Problems {
				if !p.Warning {
					fmt.Fprintf(e.stderr, "ctq watch: ingest: %s: %s\n", termtext.Escape(p.Key), termtext.Escape(p.Msg))
				}
			}
		}
		if !f.quiet {
			ingested := int64(0)
			if rep.Ingest != nil {
				ingested = rep.Ingest.Objects
			}
			fmt.Fprintf(e.stderr, "%s ctq watch: %d new object(s) ingested; %d file(s), %d event(s) evaluated (commits %d..%d); %d alarm(s)\n",
				time.Now().UTC().Format(time.RFC3339), ingested, rep.Files, rep.Events, rep.FromSeq, rep.ToSeq, rep.Alarms)
		}
	}
	w, err := detect.NewWatcher(cfg)
	if err != nil {
		return usagef("%v", err)
	}
	return w.Run(ctx)
}

// notifier prints each alarm as a JSON line and runs the optional command
// and webhook.
type notifier struct {
	mu      sync.Mutex
	stdout  io.Writer
	stderr  io.Writer
	argv    []string
	webhook string
	timeout time.Duration
	client  http.Client
}

func (n *notifier) notify(ctx context.Context, a detect.Alarm) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	n.mu.Lock()
	_, err = n.stdout.Write(append(data, '\n'))
	n.mu.Unlock()
	if err != nil {
		return err
	}
	var errs []string
	if len(n.argv) > 0 {
		if err := n.runCommand(ctx, data); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if n.webhook != "" {
		if err := n.post(ctx, data); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// runCommand runs the --exec command with the alarm on stdin. The command
// line is fixed at start-up: nothing from the logs is interpolated.
func (n *notifier) runCommand(ctx context.Context, alarm []byte) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.argv[0], n.argv[1:]...)
	cmd.Stdin = bytes.NewReader(append(alarm, '\n'))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return fmt.Errorf("--exec %s: %v: %s", n.argv[0], err, msg)
	}
	if out.Len() > 0 {
		n.mu.Lock()
		fmt.Fprintf(n.stderr, "%s", termtext.EscapeLines(out.String()))
		n.mu.Unlock()
	}
	return nil
}

// post sends the alarm to the webhook.
func (n *notifier) post(ctx context.Context, alarm []byte) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.webhook, bytes.NewReader(alarm))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ctq/"+version)
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("--webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("--webhook: %s", resp.Status)
	}
	return nil
}

// splitCommand splits a command line into words: whitespace separates,
// single quotes keep text literally, double quotes group with \" and \\
// escapes. No variables, globs or other shell syntax.
func splitCommand(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return out, nil
}
