package query

import "testing"

func BenchmarkBitmap(b *testing.B) {
	const n = 1 << 16
	x, y := newBitmap(n), newBitmap(n)
	x.setAll()
	for i := 0; i < n; i += 3 {
		y.set(i)
	}
	b.Run("and_or_andNot", func(b *testing.B) {
		b.SetBytes(int64(len(x.words) * 8 * 3))
		for i := 0; i < b.N; i++ {
			x.and(y)
			x.or(y)
			x.andNot(y)
		}
	})
	b.Run("keep_every_other", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			x.setAll()
			x.keep(func(r int) bool { return r&1 == 0 })
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("count", func(b *testing.B) {
		x.setAll()
		s := 0
		for i := 0; i < b.N; i++ {
			s += x.count()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		_ = s
	})
}
