package measure

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes the machine a benchmark ran on. Reports embed it, so
// its fields appear at the top level of their "machine" object.
type Machine struct {
	Cores     int    `json:"cores"`
	MemoryMiB int64  `json:"memoryMiB"`
	CPUModel  string `json:"cpuModel"`
	OS        string `json:"os"` // GOOS/GOARCH
	Kernel    string `json:"kernel"`
	GoVersion string `json:"goVersion"` // the toolchain that built the harness and ctq
	// PageFaultMicros is what touching a fresh 4 KiB page of memory costs,
	// in microseconds (see PageFaultCost). Some virtual machines make it
	// tens of times dearer than bare metal, which slows tools that hold
	// gigabytes (DuckDB) far more than tools that reuse a small heap.
	PageFaultMicros float64 `json:"pageFaultMicros,omitempty"`
}

// DescribeMachine reads the machine's description from /proc; fields it
// cannot read stay empty.
func DescribeMachine() Machine {
	m := Machine{
		Cores:     runtime.NumCPU(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		GoVersion: runtime.Version(),
		CPUModel:  procField("/proc/cpuinfo", "model name"),
	}
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(k))
	}
	if f := strings.Fields(procField("/proc/meminfo", "MemTotal")); len(f) > 0 {
		kib, _ := strconv.ParseInt(f[0], 10, 64)
		m.MemoryMiB = kib / 1024
	}
	m.PageFaultMicros = PageFaultCost()
	return m
}

// PageFaultCost maps 64 MiB of fresh anonymous memory, writes one byte in
// each 4 KiB page and returns the microseconds per page (the best of three
// rounds), or 0 when it cannot map memory.
func PageFaultCost() float64 {
	const size, page = 64 << 20, 4096
	best := 0.0
	for round := 0; round < 3; round++ {
		mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			return 0
		}
		t := time.Now()
		for i := 0; i < size; i += page {
			mem[i] = 1
		}
		us := float64(time.Since(t).Nanoseconds()) / 1e3 / (size / page)
		_ = syscall.Munmap(mem)
		if round == 0 || us < best {
			best = us
		}
	}
	return best
}

// String is the machine in one line, as reports print it.
func (m Machine) String() string {
	return fmt.Sprintf("%d cores (%s), %.1f GiB memory, %s, kernel %s, %s, %s",
		m.Cores, m.CPUModel, float64(m.MemoryMiB)/1024, m.OS, m.Kernel, m.GoVersion, m.PageFaults())
}

// PageFaults describes the page-fault cost for reports.
func (m Machine) PageFaults() string {
	if m.PageFaultMicros <= 0 {
		return "page-fault cost not measured"
	}
	return fmt.Sprintf("%.2f µs per fresh 4 KiB page", m.PageFaultMicros)
}

// procField returns the value of the first "name : value" line of a /proc
// file, or "" when there is none.
func procField(file, name string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ToolVersion returns the first line a tool prints for its version
// command, e.g. ToolVersion(ctx, "jq", "--version").
func ToolVersion(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line, nil
}

// BuildCtq builds the ctq binary from the repo root into dir, pure Go
// (CGO_ENABLED=0) as it ships, and returns its path.
func BuildCtq(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "ctq")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "arrow_json_stdlib", "-o", bin, "./cmd/ctq")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ctq: %w\n%s", err, out)
	}
	return bin, nil
}

// ctqModule is the module path of the repository root.
const ctqModule = "github.com/ctq-dev/ctq"

// RepoRoot finds the ctq repository root: the nearest directory at or
// above the working directory whose go.mod declares the ctq module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(string(b)) == ctqModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod of " + ctqModule + " at or above the working directory")
		}
		dir = parent
	}
}

func modulePath(gomod string) string {
	for _, line := range strings.Split(gomod, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1]
		}
	}
	return ""
}
