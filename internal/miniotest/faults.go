package miniotest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// FaultKind selects what a Fault does to a request.
type FaultKind int

// Fault kinds.
const (
	// SlowDown answers 503 with an S3 SlowDown error without forwarding.
	SlowDown FaultKind = iota + 1
	// InternalError answers 500 with an S3 InternalError without forwarding.
	InternalError
	// ResetMidBody forwards the request, sends the response headers and
	// AfterBytes bytes of the body, then resets the client connection.
	ResetMidBody
	// Stall forwards the request, sends the headers and AfterBytes bytes of
	// the body (nothing at all when AfterBytes is 0), then stops sending
	// until the client gives up or StallFor passes, and resets the
	// connection.
	Stall
	// DropResponse forwards the request, so it takes effect, then resets the
	// client connection without answering.
	DropResponse
)

const (
	defaultStall = 3 * time.Second
	maxStall     = 10 * time.Second
)

// Fault describes a failure to inject into matching requests.
type Fault struct {
	Method     string        // HTTP method to match; "" matches any
	KeySuffix  string        // suffix of the URL path to match; "" matches any
	Kind       FaultKind     // what to do
	AfterBytes int           // body bytes sent before ResetMidBody or Stall
	Count      int           // number of requests to affect; 0 means 1
	StallFor   time.Duration // Stall duration; 0 means 3s, capped at 10s
}

// matches reports whether f applies to r.
func (f *Fault) matches(r *http.Request) bool {
	return (f.Method == "" || strings.EqualFold(f.Method, r.Method)) &&
		strings.HasSuffix(r.URL.Path, f.KeySuffix)
}

// FaultProxy is a reverse proxy on 127.0.0.1 that forwards requests to a
// MinIO endpoint, failing queued ones on purpose. It forwards the client's
// Host header unchanged, so SigV4 signatures made for the proxy's address
// stay valid.
type FaultProxy struct {
	URL string // http://127.0.0.1:port

	target    *url.URL
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	server    *http.Server
	done      chan struct{}

	mu     sync.Mutex
	faults []Fault
	fired  int
}

// NewFaultProxy starts a proxy in front of target (e.g. Server.Endpoint) and
// stops it when the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("miniotest: parsing proxy target %q: %v", target, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("miniotest: starting fault proxy: %v", err)
	}
	p := &FaultProxy{
		URL:       "http://" + l.Addr().String(),
		target:    u,
		transport: &http.Transport{DisableCompression: true},
		done:      make(chan struct{}),
	}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		Transport: p.transport,
	}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	t.Cleanup(p.close)
	return p
}

// close stops the proxy and wakes any stalled handlers.
func (p *FaultProxy) close() {
	close(p.done)
	_ = p.server.Close()
	p.transport.CloseIdleConnections()
}

// Inject queues a fault. Each request takes the first queued fault that
// matches it; faults are applied in the order they were injected.
func (p *FaultProxy) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, f)
}

// Fired returns how many faults have been applied so far.
func (p *FaultProxy) Fired() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired
}

// Pending returns how many fault applications are still queued.
func (p *FaultProxy) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, f := range p.faults {
		n += f.Count
	}
	return n
}

// take removes one application of the first fault matching r.
func (p *FaultProxy) take(r *http.Request) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.faults {
		f := &p.faults[i]
		if !f.matches(r) {
			continue
		}
		taken := *f
		f.Count--
		if f.Count == 0 {
			p.faults = append(p.faults[:i], p.faults[i+1:]...)
		}
		p.fired++
		return taken, true
	}
	return Fault{}, false
}

// ServeHTTP implements http.Handler.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := p.take(r)
	if !ok {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch f.Kind {
	case SlowDown:
		writeS3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case InternalError:
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case ResetMidBody:
		p.forwardPartial(w, r, f.AfterBytes, 0)
	case Stall:
		p.forwardPartial(w, r, f.AfterBytes, stallDuration(f.StallFor))
	case DropResponse:
		p.forwardPartial(w, r, -1, 0)
	default:
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError", fmt.Sprintf("unknown fault kind %d", f.Kind))
	}
}

// stallDuration bounds a requested stall.
func stallDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultStall
	}
	return min(d, maxStall)
}

// writeS3Error answers with an S3-style XML error document.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>fault</RequestId></Error>`,
		code, msg, r.URL.Path)
}

// forwardPartial forwards r upstream, relays the response headers and the
// first n body bytes (no headers at all when n < 0; with stall > 0, no
// headers when n == 0 either), waits for stall, then resets the connection.
func (p *FaultProxy) forwardPartial(w http.ResponseWriter, r *http.Request, n int, stall time.Duration) {
	resp, err := p.roundTrip(r)
	if err != nil {
		writeS3Error(w, r, http.StatusBadGateway, "InternalError", "fault proxy: "+err.Error())
		return
	}
	defer func() { _ = resp.Body.Close() }()
	if n > 0 || (n == 0 && stall == 0) {
		relayHeader(w, resp)
		_, _ = io.CopyN(w, resp.Body, int64(n))
		_ = http.NewResponseController(w).Flush()
	}
	if stall > 0 {
		select {
		case <-time.After(stall):
		case <-r.Context().Done():
		case <-p.done:
		}
	}
	resetConn(w)
}

// roundTrip sends a copy of r to the target, keeping its Host header.
func (p *FaultProxy) roundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = p.target.Scheme
	out.URL.Host = p.target.Host
	out.Host = r.Host
	out.Header.Del("Connection")
	if r.ContentLength == 0 {
		out.Body = nil
	}
	return p.transport.RoundTrip(out)
}

// relayHeader copies the response status line and headers to w.
func relayHeader(w http.ResponseWriter, resp *http.Response) {
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
}

// resetConn takes over the client connection and closes it with a TCP RST.
func resetConn(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	_ = buf.Flush()
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
