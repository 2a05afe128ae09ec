package ingest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// One codec serves a writer's pages one after the other, and may be called
// concurrently: every page must decode to its own bytes.
func TestPageCodec_RoundTripConcurrent(t *testing.T) {
	c := newPageCodec()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var dst, out []byte
			for i := 0; i < 50; i++ {
				src := bytes.Repeat([]byte(fmt.Sprintf(`{"eventName":"E%d-%d","n":%d}`, g, i, i*g)), 1+i*37)
				var err error
				if dst, err = c.Encode(dst, src); err != nil {
					errs <- err
					return
				}
				if out, err = c.Decode(out, dst); err != nil {
					errs <- fmt.Errorf("decode page %d/%d: %w", g, i, err)
					return
				}
				if !bytes.Equal(out, src) {
					errs <- fmt.Errorf("page %d/%d: round trip differs", g, i)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := c.CompressionCodec().String(); got != "ZSTD" {
		t.Fatalf("codec %s, want ZSTD", got)
	}
}
