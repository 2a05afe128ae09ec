package main

import (
	"github.com/spf13/cobra"
)

// version and commit are stamped by the release build:
//
//	go build -ldflags "-X main.version=0.2.0 -X main.commit=$(git rev-parse --short HEAD)"
var (
	version = "0.1.0"
	commit  = ""
)

// versionString is the one version text of `ctq version` and `ctq --version`.
func versionString() string {
	if commit != "" {
		return version + " (" + commit + ")"
	}
	return version
}

func init() {
	addCommand(90, func(e *env) *cobra.Command {
		return &cobra.Command{
			Use:     "version",
			Short:   "print the version",
			GroupID: "start",
			Args:    noArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				_, err := c.OutOrStdout().Write([]byte("ctq " + versionString() + "\n"))
				return err
			},
		}
	})
}
