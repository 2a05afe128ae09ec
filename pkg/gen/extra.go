package gen

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// insightJob describes one CloudTrail Insights event (a start or an end).
type insightJob struct {
	start bool
	t     int64 // eventTime
	dur   int   // minutes between start and end
	typ   int   // 0: ApiCallRateInsight, 1: ApiErrorRateInsight
	seed  uint64
}

// planInsights returns the Insights files (a start and an end event for up
// to two accounts) sorted by delivery time. It uses its own random stream
// so that enabling Insights does not change the log files.
func (m *model) planInsights() []*job {
	g := newRng(m.cfg.Seed, 0x1A51)
	var out []*job
	for i := range min(2, len(m.accounts)) {
		ts := m.start + int64(float64(m.span)*(0.3+0.35*float64(i)))/60*60
		dur := 30 + g.IntN(90)
		te := ts + int64(dur)*60
		seed := g.Uint64()
		for k, t := range []int64{ts, te} {
			deliver := t + 10*60 + g.Int64N(20*60)
			j := &job{kind: KindInsight, acct: i, region: m.globalReg, wStart: t, deliver: deliver}
			j.ins = insightJob{start: k == 0, t: t, dur: dur, typ: i % 2, seed: seed}
			j.key = m.objectKey(i, m.globalReg, "CloudTrail-Insight", deliver, g)
			out = append(out, j)
		}
	}
	slices.SortStableFunc(out, func(a, b *job) int { return cmp.Compare(a.deliver, b.deliver) })
	return out
}

func (w *worker) buildInsight(j *job, b []byte) []byte {
	in := j.ins
	a := w.m.accounts[j.acct]
	region := w.m.regions[j.region]
	g := newRng(in.seed, 0x1A52)
	shared := g.appendUUID(nil)
	if in.start {
		g.reseed(in.seed, 0x1A53)
	} else {
		g.reseed(in.seed, 0x1A54)
	}
	src, name, typ := "ec2.amazonaws.com", "RunInstances", "ApiCallRateInsight"
	if in.typ == 1 {
		src, name, typ = "iam.amazonaws.com", "CreateAccessKey", "ApiErrorRateInsight"
	}
	b = append(b, `{"Records":[{"eventVersion":"1.08","eventTime":"`...)
	b = appendTime(b, in.t)
	b = append(b, `","awsRegion":"`...)
	b = append(b, region...)
	b = append(b, `","eventID":"`...)
	b = g.appendUUID(b)
	b = append(b, `","eventType":"AwsCloudTrailInsight","recipientAccountId":"`...)
	b = append(b, a.id...)
	b = append(b, `","sharedEventID":"`...)
	b = append(b, shared...)
	b = append(b, `","insightDetails":{"state":"`...)
	if in.start {
		b = append(b, "Start"...)
	} else {
		b = append(b, "End"...)
	}
	b = append(b, `","eventSource":"`...)
	b = append(b, src...)
	b = append(b, `","eventName":"`...)
	b = append(b, name...)
	b = append(b, `","insightType":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if in.typ == 1 {
		b = append(b, `,"errorCode":"AccessDenied"`...)
	}
	b = append(b, `,"insightContext":{"statistics":{"baseline":{"average":0.0`...)
	b = strconv.AppendInt(b, int64(100+g.IntN(900)), 10)
	b = append(b, `},"insight":{"average":`...)
	b = strconv.AppendInt(b, int64(5+g.IntN(40)), 10)
	b = append(b, ".5}"...)
	if !in.start {
		b = append(b, `,"insightDuration":`...)
		b = strconv.AppendInt(b, int64(in.dur), 10)
	}
	b = append(b, `,"baselineDuration":10079},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:sts::`...)
	b = append(b, a.id...)
	b = append(b, `:assumed-role/terraform-apply/aws-go-sdk-1","average":12.5}],"baseline":[{"value":"arn:aws:iam::`...)
	b = append(b, a.id...)
	b = append(b, `:user/ci-legacy","average":0.02}]},{"attribute":"userAgent","insight":[{"value":"aws-cli/2.15.30","average":12.5}],"baseline":[{"value":"console.amazonaws.com","average":0.02}]},{"attribute":"errorCode","insight":[{"value":"`...)
	if in.typ == 1 {
		b = append(b, "AccessDenied"...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `","average":12.5}],"baseline":[{"value":"null","average":0.02}]}]}},"eventCategory":"Insight"}]}`...)
	return b
}

// Digest files.

const maxDigestOffset = 1800 // seconds; each account/region digest ends at a fixed offset past the hour

type logRef struct {
	key            string
	hash           [32]byte
	oldest, newest int64
}

type digestCell struct {
	acct, region int
	off          int64
	pending      map[int64][]logRef // by digest hour index
	prevKey      string
	prevHash     [32]byte
	prevSig      string
}

// digester collects delivered log files and writes one digest per account,
// region and hour, chained like CloudTrail's. It runs on the emitting
// goroutine.
type digester struct {
	m     *model
	base  int64 // start of hour index 0
	next  int64 // next hour index to write
	last  int64 // last hour index to write
	cells []digestCell
	g     *rng
	raw   []byte
	buf   bytes.Buffer
	zw    *gzip.Writer
	fp    map[string]string
}

func newDigester(m *model) *digester {
	d := &digester{m: m, g: newRng(m.cfg.Seed, 0xD16E), fp: map[string]string{}}
	d.base = m.start/3600*3600 - 3600
	d.last = (m.start + m.span - 1 - d.base) / 3600
	for a := range m.accounts {
		for r := range m.regions {
			d.cells = append(d.cells, digestCell{acct: a, region: r, off: 60 + d.g.Int64N(maxDigestOffset-60), pending: map[int64][]logRef{}})
		}
	}
	for _, r := range m.regions {
		s := sha256.Sum256([]byte("ctq-placeholder-key/" + r))
		d.fp[r] = hex.EncodeToString(s[:16])
	}
	d.zw, _ = gzip.NewWriterLevel(&d.buf, gzip.BestSpeed)
	return d
}

func (d *digester) add(j *job) {
	c := &d.cells[j.acct*len(d.m.regions)+j.region]
	h := (j.deliver - c.off - d.base) / 3600
	c.pending[h] = append(c.pending[h], logRef{key: j.key, hash: j.sha, oldest: j.minT, newest: j.maxT})
	d.last = max(d.last, h)
}

// flush writes the digests of every hour that ends before bound, the
// earliest delivery time of any file not yet emitted.
func (d *digester) flush(bound int64, out func(Object, int) error) error {
	for d.next <= d.last && d.base+(d.next+1)*3600+maxDigestOffset <= bound {
		if err := d.writeHour(d.next, out); err != nil {
			return err
		}
		d.next++
	}
	return nil
}

func (d *digester) finish(out func(Object, int) error) error {
	for ; d.next <= d.last; d.next++ {
		if err := d.writeHour(d.next, out); err != nil {
			return err
		}
	}
	return nil
}

func (d *digester) writeHour(h int64, out func(Object, int) error) error {
	m := d.m
	for i := range d.cells {
		c := &d.cells[i]
		refs := c.pending[h]
		delete(c.pending, h)
		acct := m.accounts[c.acct].id
		region := m.regions[c.region]
		start := d.base + h*3600 + c.off
		end := start + 3600
		kb := make([]byte, 0, 160)
		kb = append(kb, m.prefix...)
		kb = append(kb, "AWSLogs/"...)
		kb = append(kb, m.orgPart...)
		kb = append(kb, acct...)
		kb = append(kb, "/CloudTrail-Digest/"...)
		kb = append(kb, region...)
		kb = append(kb, '/')
		kb = appendDatePath(kb, end)
		kb = append(kb, '/')
		kb = append(kb, acct...)
		kb = append(kb, "_CloudTrail-Digest_"...)
		kb = append(kb, region...)
		kb = append(kb, '_')
		kb = append(kb, m.trailName...)
		kb = append(kb, '_')
		kb = append(kb, m.regions[m.globalReg]...)
		kb = append(kb, '_')
		kb = appendKeyTime(kb, end, true)
		kb = append(kb, ".json.gz"...)
		key := string(kb)

		prevSig := "null" // the literal CloudTrail signs for a starting digest
		if c.prevKey != "" {
			prevSig = c.prevSig
		}
		b := d.raw[:0]
		b = append(b, `{"awsAccountId":"`...)
		b = append(b, acct...)
		b = append(b, `","digestStartTime":`...)
		b = appendQTime(b, start)
		b = append(b, `,"digestEndTime":`...)
		b = appendQTime(b, end)
		b = append(b, `,"digestS3Bucket":`...)
		b = appendStr(b, m.bucket)
		b = append(b, `,"digestS3Object":`...)
		b = appendStr(b, key)
		b = append(b, `,"digestPublicKeyFingerprint":"`...)
		if m.cfg.DigestKey != nil {
			b = append(b, m.cfg.DigestKeyFingerprint...)
		} else {
			b = append(b, d.fp[region]...)
		}
		b = append(b, `","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":`...)
		oldest, newest := int64(0), int64(0)
		for k, r := range refs {
			if k == 0 || r.oldest < oldest {
				oldest = r.oldest
			}
			if k == 0 || r.newest > newest {
				newest = r.newest
			}
		}
		if len(refs) == 0 {
			b = append(b, `null,"oldestEventTime":null`...)
		} else {
			b = appendQTime(b, newest)
			b = append(b, `,"oldestEventTime":`...)
			b = appendQTime(b, oldest)
		}
		if c.prevKey == "" {
			b = append(b, `,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null`...)
		} else {
			b = append(b, `,"previousDigestS3Bucket":`...)
			b = appendStr(b, m.bucket)
			b = append(b, `,"previousDigestS3Object":`...)
			b = appendStr(b, c.prevKey)
			b = append(b, `,"previousDigestHashValue":"`...)
			b = hex.AppendEncode(b, c.prevHash[:])
			b = append(b, `","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"`...)
			b = append(b, c.prevSig...)
			b = append(b, '"')
		}
		b = append(b, `,"logFiles":[`...)
		for k, r := range refs {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"s3Bucket":`...)
			b = appendStr(b, m.bucket)
			b = append(b, `,"s3Object":`...)
			b = appendStr(b, r.key)
			b = append(b, `,"hashValue":"`...)
			b = hex.AppendEncode(b, r.hash[:])
			b = append(b, `","hashAlgorithm":"SHA-256","newestEventTime":`...)
			b = appendQTime(b, r.newest)
			b = append(b, `,"oldestEventTime":`...)
			b = appendQTime(b, r.oldest)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
		d.raw = b

		c.prevKey = key
		c.prevHash = sha256.Sum256(b)
		var meta map[string]string
		if k := m.cfg.DigestKey; k != nil {
			sig, err := signDigest(k, end, m.bucket, key, c.prevHash, prevSig)
			if err != nil {
				return err
			}
			c.prevSig = sig
			meta = map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}
		} else {
			sig := sha256.Sum256([]byte("ctq-placeholder-signature/" + key))
			c.prevSig = string(bytes.Repeat([]byte(hex.EncodeToString(sig[:])), 8))
		}

		d.buf.Reset()
		d.zw.Reset(&d.buf)
		d.zw.Write(b)
		d.zw.Close()
		o := Object{Key: key, Data: bytes.Clone(d.buf.Bytes()), Kind: KindDigest, Delivered: time.Unix(end, 0).UTC(), Metadata: meta}
		if err := out(o, len(b)); err != nil {
			return err
		}
	}
	return nil
}

// signDigest signs a digest as CloudTrail does: SHA256withRSA (PKCS #1 v1.5)
// over "digestEndTime\ndigestS3Bucket/digestS3Object\nhex(SHA-256 of the
// uncompressed digest)\npreviousDigestSignature", with "null" as the previous
// signature of a starting digest. It returns the hex signature.
func signDigest(k *rsa.PrivateKey, end int64, bucket, key string, sum [32]byte, prevSig string) (string, error) {
	msg := time.Unix(end, 0).UTC().Format(time.RFC3339) + "\n" + bucket + "/" + key + "\n" + hex.EncodeToString(sum[:]) + "\n" + prevSig
	h := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	if err != nil {
		return "", fmt.Errorf("sign digest %s: %w", key, err)
	}
	return hex.EncodeToString(sig), nil
}
