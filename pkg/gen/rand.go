package gen

import (
	"math/rand/v2"
	"strconv"
)

// splitmix64 is a cheap, well-mixing 64-bit hash used to derive seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// rng wraps a PCG generator with the helpers the generator needs.
type rng struct {
	pcg rand.PCG
	*rand.Rand
}

func newRng(a, b uint64) *rng {
	g := &rng{}
	g.pcg.Seed(splitmix64(a), splitmix64(b^0x6A09E667F3BCC909))
	g.Rand = rand.New(&g.pcg)
	return g
}

func (g *rng) reseed(a, b uint64) {
	g.pcg.Seed(splitmix64(a), splitmix64(b^0x6A09E667F3BCC909))
}

// chance reports true with probability p.
func (g *rng) chance(p float64) bool { return g.Float64() < p }

// between returns a uniform int in [lo, hi].
func (g *rng) between(lo, hi int) int { return lo + g.IntN(hi-lo+1) }

// appendChars appends n characters drawn uniformly from set.
func (g *rng) appendChars(b []byte, set string, n int) []byte {
	l := uint64(len(set))
	var x uint64
	k := 0
	for i := 0; i < n; i++ {
		if k == 0 {
			x = g.Uint64()
			k = 8
		}
		b = append(b, set[(x&0xff)%l])
		x >>= 8
		k--
	}
	return b
}

// appendHex appends n random lower-case hex digits.
func (g *rng) appendHex(b []byte, n int) []byte {
	var x uint64
	k := 0
	for i := 0; i < n; i++ {
		if k == 0 {
			x = g.Uint64()
			k = 16
		}
		b = append(b, hexLower[x&0xf])
		x >>= 4
		k--
	}
	return b
}

// appendUUID appends a random version-4 UUID (unquoted).
func (g *rng) appendUUID(b []byte) []byte {
	hi, lo := g.Uint64(), g.Uint64()
	var u [16]byte
	for i := 0; i < 8; i++ {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexLower[c>>4], hexLower[c&0xf])
	}
	return b
}

// appendIPv4 appends a public-looking IPv4 address.
func (g *rng) appendIPv4(b []byte) []byte {
	first := publicFirstOctets[g.IntN(len(publicFirstOctets))]
	x := g.Uint64()
	b = strconv.AppendInt(b, int64(first), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(x&0xff), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(x>>8&0xff), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(1+(x>>16)%254), 10)
}

// appendPrivateIPv4 appends an RFC 1918 address in 10.0.0.0/8.
func (g *rng) appendPrivateIPv4(b []byte) []byte {
	x := g.Uint64()
	b = append(b, "10."...)
	b = strconv.AppendInt(b, int64(x&0xff), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(x>>8&0xff), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(1+(x>>16)%254), 10)
}

// appendIPv6 appends a global unicast IPv6 address in canonical form.
func (g *rng) appendIPv6(b []byte) []byte {
	b = append(b, ipv6Prefixes[g.IntN(len(ipv6Prefixes))]...)
	x := g.Uint64()
	for i := 0; i < 4; i++ {
		if i > 0 {
			b = append(b, ':')
		}
		b = strconv.AppendUint(b, (x>>(16*i))&0xffff|uint64(i&1)<<12, 16)
	}
	y := g.Uint64()
	b = append(b, ':')
	b = strconv.AppendUint(b, y&0xffff|0x100, 16)
	b = append(b, ':')
	return strconv.AppendUint(b, (y>>16)&0xffff|0x1000, 16)
}

var publicFirstOctets = [...]int{3, 13, 18, 23, 34, 35, 44, 46, 52, 54, 63, 64, 66, 67, 68, 71, 72, 73, 76, 81, 82, 84, 86, 88, 91, 93, 94, 98, 99, 104, 107, 108, 136, 142, 151, 155, 176, 178, 185, 188, 193, 195, 203, 212, 213, 217}

var ipv6Prefixes = [...]string{"2600:1f18:", "2a05:d018:", "2001:db8:", "2406:da1c:", "2a01:4b00:", "2607:fb90:"}

// pick returns a uniformly chosen element of xs.
func pick[T any](g *rng, xs []T) T { return xs[g.IntN(len(xs))] }

// cumTable is a cumulative-weight table for weighted choice.
type cumTable []float64

func newCumTable(w []float64) cumTable {
	c := make(cumTable, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	for i := range c {
		c[i] /= s
	}
	c[len(c)-1] = 1
	return c
}

// draw returns an index chosen with the table's weights.
func (c cumTable) draw(g *rng) int {
	u := g.Float64()
	lo, hi := 0, len(c)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if c[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
