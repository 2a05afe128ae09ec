// Command ctqdetect measures `ctq detect` with the whole built-in pack
// against each of its rules run alone, over the same lake: the pack must
// take less than 3x the single slowest rule (one pass for all rules, not
// one scan per rule).
//
//	cd bench && go run ./cmd/ctqdetect -lake <lake dir> [-runs 3]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type rule struct {
	Name              string  `json:"name"`
	Pattern           string  `json:"pattern"`
	Period            string  `json:"period"`
	Threshold         string  `json:"threshold"`
	EvaluationPeriods int     `json:"evaluationPeriods"`
	best              float64 // seconds
	alarms            int
}

func main() {
	lake := flag.String("lake", "", "lake directory (ingest the 1M archive with ctq first)")
	bin := flag.String("ctq", "", "ctq binary (default: built from the repo)")
	runs := flag.Int("runs", 3, "runs per measurement; the best is reported")
	flag.Parse()
	if *lake == "" {
		log.Fatal("-lake is required")
	}
	tmp, err := os.MkdirTemp("", "ctqdetect")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if *bin == "" {
		*bin = filepath.Join(tmp, "ctq")
		cmd := exec.Command("go", "build", "-tags", "arrow_json_stdlib", "-o", *bin, "./cmd/ctq")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("build ctq: %v\n%s", err, out)
		}
	}
	out, err := exec.Command(*bin, "detect", "--list", "--output", "json").Output()
	if err != nil {
		log.Fatalf("ctq detect --list: %v", err)
	}
	var rules []*rule
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r rule
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Fatal(err)
		}
		rules = append(rules, &r)
	}
	// Each rule alone, from a one-rule file with the same pattern and alarm.
	for _, r := range rules {
		f := filepath.Join(tmp, r.Name+".yaml")
		q, _ := json.Marshal(r.Pattern)
		th, _ := json.Marshal(r.Threshold)
		body := fmt.Sprintf("- name: %s\n  pattern: %s\n  period: %s\n  threshold: %s\n  evaluation_periods: %d\n", r.Name, q, r.Period, th, r.EvaluationPeriods)
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
		r.best, r.alarms = measure(*bin, *lake, *runs, "--rules", f)
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].best > rules[j].best })
	slowest := rules[0]
	// The pack, interleaved with the slowest rule again so both see the
	// same machine load.
	var packRuns, slowRuns []float64
	packAlarms := 0
	for i := 0; i < *runs; i++ {
		t, n := measure(*bin, *lake, 1)
		packRuns, packAlarms = append(packRuns, t), n
		t, _ = measure(*bin, *lake, 1, "--rules", filepath.Join(tmp, slowest.Name+".yaml"))
		slowRuns = append(slowRuns, t)
	}
	pack, slow := minOf(packRuns), min(minOf(slowRuns), slowest.best)
	sum := 0.0
	for _, r := range rules {
		sum += r.best
	}
	fmt.Printf("lake %s, %d rules, best of %d runs each\n\n", *lake, len(rules), *runs)
	fmt.Printf("| rule | alone best s | alarms |\n|---|--:|--:|\n")
	for _, r := range rules {
		fmt.Printf("| %s | %.3f | %d |\n", r.Name, r.best, r.alarms)
	}
	fmt.Printf("\nwhole pack: best %.3f s (runs %s), %d alarms\n", pack, fmtRuns(packRuns), packAlarms)
	fmt.Printf("slowest rule alone (%s): best %.3f s (interleaved runs %s)\n", slowest.Name, slow, fmtRuns(slowRuns))
	fmt.Printf("sum of the rules run one by one: %.3f s\n", sum)
	fmt.Printf("pack / slowest rule = %.2f (target < 3)\n", pack/slow)
}

// measure runs ctq detect over all data and returns the best wall time and
// the number of alarms (JSON lines).
func measure(bin, lake string, runs int, extra ...string) (float64, int) {
	best, alarms := 0.0, 0
	for i := 0; i < runs; i++ {
		args := append([]string{"detect", "--lake", lake, "--since", "2000-01-01", "--output", "json"}, extra...)
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		el := time.Since(start).Seconds()
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 4) {
			log.Fatalf("ctq %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		if i == 0 || el < best {
			best = el
		}
		alarms = bytes.Count(stdout.Bytes(), []byte("\n"))
	}
	return best, alarms
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}

func fmtRuns(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(s, ", ")
}
