package main

import (
	"github.com/spf13/cobra"
)

// version is the source's version; a release build may stamp another (see
// buildinfo.go).
const version = "0.1.0"

func init() {
	addCommand(90, "version", func(e *env) *cobra.Command {
		return &cobra.Command{
			Use:     "version",
			Short:   "print the version",
			GroupID: "start",
			Args:    noArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				_, err := c.OutOrStdout().Write([]byte(versionLine() + "\n"))
				return err
			},
		}
	})
}
