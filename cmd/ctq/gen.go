package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ctq-dev/ctq/pkg/layout"
	"github.com/ctq-dev/ctq/pkg/termtext"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/integrity"
)

const genLong = `Writes a deterministic, realistic organization CloudTrail archive under DIR with
the S3 key layout (AWSLogs/o-.../ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz):
many services and event names, every userIdentity type, errors, console logins
with and without MFA, root use, duplicates and late deliveries. The same flags
always produce the same bytes (except digest signatures: --digest-keys signs
with a new key each time, and a relative --start moves with the clock).`

func init() { addCommand(80, "gen", newGenCmd) }

type genFlags struct {
	events, accountCount, days, lineages int
	accounts                             []string
	seed                                 uint64
	org, prefix, start                   string
	regions                              []string
	digestKeys                           string
}

func newGenCmd(e *env) *cobra.Command {
	var g genFlags
	d := gen.DefaultConfig()
	c := &cobra.Command{
		Use:     "gen DIR",
		Short:   "write a deterministic sample org CloudTrail archive to a directory",
		Long:    genLong,
		GroupID: "start",
		Args:    exactArgs(1, "DIR"),
		RunE: func(c *cobra.Command, args []string) error {
			return runGen(c.Context(), e, &g, args[0])
		},
	}
	fs := c.Flags()
	fs.IntVar(&g.events, "events", d.Events, "number of records to generate (duplicates included)")
	fs.StringSliceVar(&g.accounts, "accounts", nil, "comma-separated 12-digit account ids (default: --account-count ids derived from --seed)")
	fs.IntVar(&g.accountCount, "account-count", d.Accounts, "number of accounts when --accounts is not given")
	fs.IntVar(&g.days, "days", d.Days, "days the events are spread over")
	fs.Uint64Var(&g.seed, "seed", d.Seed, "random seed")
	fs.StringVar(&g.org, "org", d.OrgID, "organization id; empty for a single-account trail layout")
	fs.StringVar(&g.prefix, "prefix", "", "key prefix before AWSLogs/")
	fs.StringVar(&g.start, "start", d.Start.Format("2006-01-02"), "first event time: a date, RFC 3339 or a duration ago (7d)")
	fs.StringSliceVar(&g.regions, "regions", nil, "comma-separated regions (default: a fixed set of three)")
	fs.IntVar(&g.lineages, "lineages", d.Lineages, "credential lineages woven in (keys issued by AssumeRole and friends, then used; about 20-30 records each, counted in --events)")
	fs.StringVar(&g.digestKeys, "digest-keys", "", "also write hourly CloudTrail-Digest files signed with a new RSA key, and that key to this file in list-public-keys JSON (for ctq validate --public-keys)")
	return c
}

func (g *genFlags) config(e *env) (gen.Config, error) {
	c := gen.DefaultConfig()
	c.Events, c.Accounts, c.Days, c.Seed, c.OrgID, c.Prefix, c.Lineages = g.events, g.accountCount, g.days, g.seed, g.org, g.prefix, g.lineages
	if len(g.regions) > 0 {
		c.Regions = g.regions
	}
	if len(g.accounts) == 1 && len(g.accounts[0]) < 12 {
		// The old spelling: --accounts N was a number of accounts.
		n, err := strconv.Atoi(g.accounts[0])
		if err != nil {
			return c, usagef("--accounts %q: want 12-digit account ids", g.accounts[0])
		}
		fmt.Fprintf(e.stderr, "Flag --accounts N (a number) has been deprecated, use --account-count %d\n", n)
		c.Accounts = n
	} else {
		for _, a := range g.accounts {
			if !layout.ValidAccount(a) {
				return c, usagef("--accounts: %q is not a 12-digit account id", a)
			}
		}
		c.AccountList = g.accounts
	}
	t, err := parseTimeBound(g.start, time.Now())
	if err != nil || t.IsZero() {
		return c, usagef("--start %q: want a date (yyyy-mm-dd), RFC 3339 or a duration ago (7d)", g.start)
	}
	c.Start = t
	if g.digestKeys != "" {
		c.Digest = true
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return c, fmt.Errorf("generate digest signing key: %w", err)
		}
		c.DigestKey, c.DigestKeyFingerprint = key, "ctqsample"+hex.EncodeToString(key.PublicKey.N.Bytes()[:12])
	}
	return c, nil
}

func runGen(ctx context.Context, e *env, g *genFlags, dir string) error {
	cfg, err := g.config(e)
	if err != nil {
		return err
	}
	st, err := gen.WriteDir(ctx, cfg, dir)
	if err != nil {
		return err
	}
	if cfg.DigestKey != nil {
		keys, err := integrity.MarshalPublicKeys([]integrity.PublicKey{{Fingerprint: cfg.DigestKeyFingerprint, Start: cfg.Start.AddDate(0, 0, -1), Key: &cfg.DigestKey.PublicKey}})
		if err != nil {
			return err
		}
		if err := os.WriteFile(g.digestKeys, append(keys, '\n'), 0o644); err != nil {
			return fmt.Errorf("write --digest-keys: %w", err)
		}
	}
	fmt.Fprintf(e.stderr, "wrote %d objects, %d events (%d duplicates, %d late), %s JSON, %s gzip to %s\n",
		st.Objects, st.Events, st.Duplicates, st.Late, humanBytes(st.RawBytes), humanBytes(st.GzipBytes), termtext.Escape(dir))
	return nil
}
