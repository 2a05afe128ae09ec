package proc

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Error("Alive(own pid) = false")
	}
	for _, pid := range []int{0, -1} {
		if Alive(pid) {
			t.Errorf("Alive(%d) = true", pid)
		}
	}
}

func TestGone(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid // reaped: no process has this id unless it was reused
	cases := []struct {
		tag  string
		gone bool
	}{
		{Tag(), false},
		{hostHash() + "-" + strconv.Itoa(dead), !Alive(dead)},
		{"otherhost-" + strconv.Itoa(dead), false}, // another host: unknown
		{hostHash() + "-x", false},
		{"", false},
	}
	for _, c := range cases {
		if got := Gone(c.tag); got != c.gone {
			t.Errorf("Gone(%q) = %v, want %v", c.tag, got, c.gone)
		}
	}
}
