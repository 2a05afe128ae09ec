package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ctq-dev/ctq/pkg/gen"
	"github.com/ctq-dev/ctq/pkg/integrity"
)

const genUsage = `ctq gen DIR [flags]

Writes a deterministic, realistic organization CloudTrail archive under DIR with
the S3 key layout (AWSLogs/o-.../ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz):
many services and event names, every userIdentity type, errors, console logins
with and without MFA, root use, duplicates and late deliveries. The same flags
always produce the same bytes (except digest signatures: --digest-keys signs
with a new key each time).`

type genFlags struct {
	events, accounts, days int
	seed                   uint64
	org, prefix, start     string
	regions                string
	digestKeys             string
}

func (g *genFlags) register(fs *flag.FlagSet) {
	d := gen.DefaultConfig()
	fs.IntVar(&g.events, "events", d.Events, "number of records to generate (duplicates included)")
	fs.IntVar(&g.accounts, "accounts", d.Accounts, "number of accounts")
	fs.IntVar(&g.days, "days", d.Days, "days the events are spread over")
	fs.Uint64Var(&g.seed, "seed", d.Seed, "random seed")
	fs.StringVar(&g.org, "org", d.OrgID, "organization id; empty for a single-account trail layout")
	fs.StringVar(&g.prefix, "prefix", "", "key prefix before AWSLogs/")
	fs.StringVar(&g.start, "start", d.Start.Format("2006-01-02"), "first day (yyyy-mm-dd)")
	fs.StringVar(&g.regions, "regions", "", "comma-separated regions (default: a fixed set of three)")
	fs.StringVar(&g.digestKeys, "digest-keys", "", "also write hourly CloudTrail-Digest files signed with a new RSA key, and that key to this file in list-public-keys JSON (for ctq validate --public-keys)")
}

func (g *genFlags) config() (gen.Config, error) {
	c := gen.DefaultConfig()
	c.Events, c.Accounts, c.Days, c.Seed, c.OrgID, c.Prefix = g.events, g.accounts, g.days, g.seed, g.org, g.prefix
	if r := splitList(g.regions); len(r) > 0 {
		c.Regions = r
	}
	t, err := time.Parse("2006-01-02", g.start)
	if err != nil {
		return c, usagef("--start %q: want yyyy-mm-dd", g.start)
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

func cmdGen(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var g genFlags
	g.register(fs)
	pos, err := parseCommandArgs(e, fs, args, genUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("gen: want exactly one DIR; see 'ctq gen --help'")
	}
	cfg, err := g.config()
	if err != nil {
		return err
	}
	st, err := gen.WriteDir(ctx, cfg, pos[0])
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
		st.Objects, st.Events, st.Duplicates, st.Late, humanBytes(st.RawBytes), humanBytes(st.GzipBytes), sanitize(pos[0]))
	return nil
}
