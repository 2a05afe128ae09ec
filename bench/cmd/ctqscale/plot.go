package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// One colour per tool, the same in both images.
var (
	colCtq         = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colDuckTyped   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colDuckJSON    = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colJQ          = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	colReference   = color.RGBA{R: 0xb0, G: 0xb0, B: 0xb0, A: 0xff}
	dashed         = []vg.Length{vg.Points(5), vg.Points(3)}
	dotted         = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	queryPalette   = []color.RGBA{colCtq, {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, {R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, {R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, {R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}}
	plotQueryIDs   = []string{"q8", "q13", "q1", "q7", "q9"} // fixed window, needle, selective, raw text, full scan
	duckQueryIDs   = []string{"q8", "q9"}
	imageW, imageH = vg.Points(1100), vg.Points(460)
)

// series is one line of a plot.
type series struct {
	name   string
	xys    plotter.XYs
	color  color.Color
	dashes []vg.Length
}

// newLogPlot is a plot with logarithmic axes, archive events on x.
func newLogPlot(title, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "archive size (events)"
	p.Y.Label.Text = yLabel
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = eventTicks{}
	p.Y.Tick.Marker = logTicks125{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p
}

// eventTicks puts a labelled tick at each measured size (250k, 1M, 4M)
// and at the powers of ten between them.
type eventTicks struct{ sizes []int }

func (t eventTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, n := range t.sizes {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: humanEvents(n)})
	}
	if len(ticks) == 0 {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	return ticks
}

// logTicks125 labels 1, 2 and 5 times each power of ten in range, so that
// a log axis spanning less than a decade still has labels.
type logTicks125 struct{}

func (logTicks125) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ticks
}

// linearMemory turns p's y axis into a linear one from 0, where a flat
// memory curve reads as flat.
func linearMemory(p *plot.Plot) {
	p.Y.Scale, p.Y.Tick.Marker = plot.LinearScale{}, mibTicks{}
	p.Y.Min = 0
}

// mibTicks labels a linear MiB axis at round steps, as whole numbers.
type mibTicks struct{}

func (mibTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 5.0
	for _, s := range []float64{5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000} {
		step = s
		if (hi-lo)/s <= 8 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ticks
}

// Headroom above the data for the legend, which sits in the top left
// corner: a factor on a log axis, a fraction on the linear memory axes.
const (
	logHeadroom    = 30
	linearHeadroom = 1.5
)

func makeRoom(time, mem *plot.Plot) {
	time.Y.Max *= logHeadroom
	mem.Y.Max *= linearHeadroom
}

func addSeries(p *plot.Plot, ss []series) error {
	for _, s := range ss {
		if len(s.xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return fmt.Errorf("plot %s: %w", s.name, err)
		}
		l.Color, l.Width, l.Dashes = s.color, vg.Points(1.5), s.dashes
		pts.Color, pts.Shape = s.color, draw.CircleGlyph{}
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	return nil
}

// writePNG draws plots side by side into one PNG file.
func writePNG(path string, plots ...*plot.Plot) error {
	img := vgimg.New(imageW, imageH)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func (r *report) sizes() []int {
	s := make([]int, len(r.Points))
	for i, p := range r.Points {
		s[i] = p.Events
	}
	return s
}

// drawPlots writes scale-ingest.png and scale-query.png into dir.
func drawPlots(r *report, dir string) error {
	ingest, query := filepath.Join(dir, "scale-ingest.png"), filepath.Join(dir, "scale-query.png")
	if err := plotIngest(r, ingest); err != nil {
		return err
	}
	if err := plotQuery(r, query); err != nil {
		return err
	}
	logf("wrote %s and %s", ingest, query)
	return nil
}

// plotIngest draws ingest wall time and peak RSS against archive size for
// ctq and each DuckDB form, with a line proportional to the archive from
// ctq's smallest run (linear growth would follow it).
func plotIngest(r *report, path string) error {
	ticks := eventTicks{sizes: r.sizes()}
	tp := newLogPlot("Ingest: wall time", "seconds (log)")
	mp := newLogPlot("Ingest: peak RSS", "MiB")
	tp.X.Tick.Marker, mp.X.Tick.Marker = ticks, ticks
	linearMemory(mp)
	var tCtq, mCtq, tTyped, mTyped, tJSON, mJSON, tJQ, mJQ, linear plotter.XYs
	for _, p := range r.Points {
		x := float64(p.Events)
		tCtq = append(tCtq, plotter.XY{X: x, Y: p.Ingest.Ctq.WallSeconds})
		mCtq = append(mCtq, plotter.XY{X: x, Y: p.Ingest.Ctq.PeakRSSMiB})
		if d := p.duck("duckdb-typed"); d != nil {
			tTyped = append(tTyped, plotter.XY{X: x, Y: d.WallSeconds})
			mTyped = append(mTyped, plotter.XY{X: x, Y: d.PeakRSSMiB})
		}
		if d := p.duck("duckdb-json"); d != nil {
			tJSON = append(tJSON, plotter.XY{X: x, Y: d.WallSeconds})
			mJSON = append(mJSON, plotter.XY{X: x, Y: d.PeakRSSMiB})
		}
		if j := p.Ingest.JQ; j != nil {
			tJQ = append(tJQ, plotter.XY{X: x, Y: j.WallSeconds})
			mJQ = append(mJQ, plotter.XY{X: x, Y: j.PeakRSSMiB})
		}
		if len(r.Points) > 0 {
			p0 := r.Points[0]
			linear = append(linear, plotter.XY{X: x, Y: p0.Ingest.Ctq.WallSeconds * x / float64(p0.Events)})
		}
	}
	if err := addSeries(tp, []series{
		{"ctq ingest", tCtq, colCtq, nil},
		{"DuckDB typed (read_json + unnest + COPY)", tTyped, colDuckTyped, nil},
		{"DuckDB raw JSON rows", tJSON, colDuckJSON, nil},
		{"zcat | jq -c '.Records[]'", tJQ, colJQ, dotted},
		{"linear in the archive (from ctq's smallest)", linear, colReference, dotted},
	}); err != nil {
		return err
	}
	if err := addSeries(mp, []series{
		{"ctq ingest", mCtq, colCtq, nil},
		{"DuckDB typed", mTyped, colDuckTyped, nil},
		{"DuckDB raw JSON rows", mJSON, colDuckJSON, nil},
		{"zcat | jq", mJQ, colJQ, dotted},
	}); err != nil {
		return err
	}
	makeRoom(tp, mp)
	return writePNG(path, tp, mp)
}

// plotQuery draws, against lake size, the wall time of a few telling
// queries (ctq solid, DuckDB dashed, jq's full scan dotted) and the
// largest peak RSS over the suite per tool.
func plotQuery(r *report, path string) error {
	ticks := eventTicks{sizes: r.sizes()}
	tp := newLogPlot("Queries: wall time (one process per query)", "seconds (log)")
	mp := newLogPlot("Queries: largest peak RSS over the 13 queries", "MiB")
	tp.X.Tick.Marker, mp.X.Tick.Marker = ticks, ticks
	linearMemory(mp)
	name := map[string]string{}
	if len(r.Points) > 0 {
		for _, q := range r.Points[0].Query.Queries {
			name[q.ID] = q.ID + " " + q.Name
		}
	}
	var ss []series
	for i, id := range plotQueryIDs {
		var xys plotter.XYs
		for _, p := range r.Points {
			if q := p.query(id); q != nil {
				xys = append(xys, plotter.XY{X: float64(p.Events), Y: q.Ctq.BestWallSeconds})
			}
		}
		ss = append(ss, series{"ctq " + name[id], xys, queryPalette[i%len(queryPalette)], nil})
	}
	for _, id := range duckQueryIDs {
		var xys plotter.XYs
		for _, p := range r.Points {
			if q := p.query(id); q != nil {
				xys = append(xys, plotter.XY{X: float64(p.Events), Y: q.DuckDB.BestWallSeconds})
			}
		}
		ss = append(ss, series{"DuckDB " + id, xys, queryPalette[slices.Index(plotQueryIDs, id)%len(queryPalette)], dashed})
	}
	// The fixed-window query's pruned scan alone, as ctq explain times it:
	// what pruning keeps constant, apart from the process's fixed costs.
	var q8run plotter.XYs
	for _, p := range r.Points {
		if q := p.query("q8"); q != nil && q.Explain.RunSeconds > 0 {
			q8run = append(q8run, plotter.XY{X: float64(p.Events), Y: q.Explain.RunSeconds})
		}
	}
	ss = append(ss, series{"ctq q8 pruned scan only (explain's run time)", q8run, colCtq, dotted})
	var jq plotter.XYs
	for _, p := range r.Points {
		if q := p.query("q9"); q != nil && q.JQ != nil {
			jq = append(jq, plotter.XY{X: float64(p.Events), Y: q.JQ.BestWallSeconds})
		}
	}
	ss = append(ss, series{"zcat | jq q9", jq, colJQ, dotted})
	if err := addSeries(tp, ss); err != nil {
		return err
	}

	var mCtq, mDuck plotter.XYs
	for _, p := range r.Points {
		x := float64(p.Events)
		mCtq = append(mCtq, plotter.XY{X: x, Y: maxQueryRSS(p, "ctq")})
		mDuck = append(mDuck, plotter.XY{X: x, Y: maxQueryRSS(p, "duckdb")})
	}
	if err := addSeries(mp, []series{
		{"ctq query", mCtq, colCtq, nil},
		{"DuckDB over the same lake files", mDuck, colDuckTyped, dashed},
	}); err != nil {
		return err
	}
	makeRoom(tp, mp)
	return writePNG(path, tp, mp)
}
