package gen

import (
	"cmp"
	"math"
	"slices"
)

const (
	windowSec        = 300    // seconds per delivery window
	minDeliveryDelay = 7 * 60 // a file is delivered 7 to 15 minutes after its window starts
	maxLate          = 12 * 3600
	dupRingSize      = 64
)

// dupRing remembers recent records of one account and region, the pool
// that duplicates are drawn from.
type dupRing struct {
	s       [dupRingSize]slot
	n, next int
}

func (d *dupRing) add(s slot) {
	d.s[d.next] = s
	d.next = (d.next + 1) % dupRingSize
	if d.n < dupRingSize {
		d.n++
	}
}

// sampleSize draws a file's record count: mostly 1-50, sometimes hundreds,
// rarely thousands (log-uniform within each band), capped at capN.
func sampleSize(g *rng, capN int) int {
	u := g.Float64()
	lo, hi := 1.0, 50.0
	switch {
	case u < 0.9:
	case u < 0.985:
		lo, hi = 50, 500
	default:
		lo, hi = 500, 4000
	}
	s := int(math.Exp(math.Log(lo) + g.Float64()*(math.Log(hi)-math.Log(lo))))
	return max(1, min(s, capN))
}

// Diurnal shape: event density peaks around 15:00 UTC and is lowest around
// 03:00 UTC, about 4:1.
const (
	diurnalAmp   = 0.6
	diurnalPhase = 0.125
)

// warp maps the cumulative fraction f of events to a time offset in
// seconds from the start, applying the diurnal shape within each day.
func (m *model) warp(f float64) int64 {
	days := float64(m.cfg.Days)
	x := f * days
	d := math.Floor(x)
	fr := x - d
	y := fr + diurnalAmp/(2*math.Pi)*(math.Sin(2*math.Pi*(fr-diurnalPhase))+math.Sin(2*math.Pi*diurnalPhase))
	sec := int64((d + y) * 86400)
	return max(0, min(sec, m.span-1))
}

// plan lays out the archive: it decides every file's account, region,
// delivery time, key and records (by sequence number and time), and hands
// the jobs to send in emission order. It stops when send returns false.
func (m *model) plan(send func(*job) bool) {
	cfg := m.cfg
	g := newRng(cfg.Seed, 0x91A4)
	lin := m.lineages
	n := cfg.Events - lineageEvents(lin)
	nr := len(m.regions)
	rings := make([]dupRing, len(m.accounts)*nr)
	capN := max(1, min(n/10, 4000))
	var ins []*job
	if cfg.Insight {
		ins = m.planInsights()
	}
	idx := 0
	var seq uint64
	for done := 0; done < n; {
		s := min(sampleSize(g, capN), n-done)
		f := (float64(done) + float64(s)/2) / float64(n)
		wStart := m.start + m.warp(f)/windowSec*windowSec
		a := m.acctTab.draw(g)
		reg := m.regionTab.draw(g)
		deliver := wStart + minDeliveryDelay + g.Int64N(8*60+1)
		for len(ins) > 0 && ins[0].deliver <= wStart {
			ins[0].idx = idx
			idx++
			if !send(ins[0]) {
				return
			}
			ins = ins[1:]
		}
		for len(lin) > 0 && lin[0].wStart <= wStart {
			lin[0].idx = idx
			idx++
			if !send(lin[0]) {
				return
			}
			lin = lin[1:]
		}
		ring := &rings[a*nr+reg]
		slots := make([]slot, s)
		for i := range slots {
			if ring.n > 0 && g.chance(cfg.DuplicateRate) {
				slots[i] = ring.s[g.IntN(ring.n)]
				slots[i].flags |= flagDup
				continue
			}
			t := wStart + g.Int64N(windowSec)
			var fl uint8
			if g.chance(cfg.LateRate) {
				if lt := deliver - 3600 - g.Int64N(maxLate-3600); lt >= m.start {
					t, fl = lt, flagLate
				}
			}
			slots[i] = slot{seq: seq, t: t, flags: fl}
			seq++
		}
		slices.SortStableFunc(slots, func(x, y slot) int { return cmp.Compare(x.t, y.t) })
		for _, sl := range slots {
			if sl.flags&flagDup == 0 {
				ring.add(sl)
			}
		}
		j := &job{idx: idx, kind: KindLog, acct: a, region: reg, wStart: wStart, deliver: deliver, slots: slots}
		j.key = m.objectKey(a, reg, "CloudTrail", deliver, g)
		idx++
		if !send(j) {
			return
		}
		done += s
	}
	for _, j := range append(lin, ins...) {
		j.idx = idx
		idx++
		if !send(j) {
			return
		}
	}
}

// objectKey returns the key of a log or insight file:
// [prefix/]AWSLogs/[org/]acct/<kind>/region/yyyy/mm/dd/acct_<kind>_region_yyyymmddThhmmZ_<16>.json.gz
func (m *model) objectKey(a, reg int, kind string, deliver int64, g *rng) string {
	acct := m.accounts[a].id
	region := m.regions[reg]
	b := make([]byte, 0, 48+len(m.prefix)+len(m.orgPart)+2*(len(acct)+len(region)+len(kind)))
	b = append(b, m.prefix...)
	b = append(b, "AWSLogs/"...)
	b = append(b, m.orgPart...)
	b = append(b, acct...)
	b = append(b, '/')
	b = append(b, kind...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = appendDatePath(b, deliver)
	b = append(b, '/')
	b = append(b, acct...)
	b = append(b, '_')
	b = append(b, kind...)
	b = append(b, '_')
	b = append(b, region...)
	b = append(b, '_')
	b = appendKeyTime(b, deliver, false)
	b = append(b, '_')
	b = g.appendChars(b, alnum, 16)
	b = append(b, ".json.gz"...)
	return string(b)
}
