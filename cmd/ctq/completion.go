package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctq-dev/ctq/pkg/detect"
	"github.com/ctq-dev/ctq/pkg/partition"
	"github.com/ctq-dev/ctq/pkg/query"
)

// Dynamic shell completion of flag values. `ctq completion SHELL` prints the
// script that calls these (cobra's completion command).

// completeFields completes --fields and --by with CloudTrail field names;
// in a comma-separated list, the last name is completed.
func completeFields(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	prefix, last := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		prefix, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, f := range query.KnownFieldPaths() {
		if strings.HasPrefix(strings.ToLower(f), strings.ToLower(last)) {
			out = append(out, prefix+f)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeRules completes --rules with the packs, the built-in rules' names
// and files.
func completeRules(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	out := []string{"builtin", "builtin-all", "cis"}
	for _, r := range detect.BuiltinAll() {
		out = append(out, r.Name)
	}
	out = slices.DeleteFunc(out, func(s string) bool { return !strings.HasPrefix(s, toComplete) })
	return out, cobra.ShellCompDirectiveDefault
}

// completePartitions completes --accounts or --regions with the values
// key returns for the partitions in the manifest of the lake lf names.
func completePartitions(e *env, lf *lakeFlags, key func(partition.Key) string) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if lf == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		l, err := lf.open(c.Context(), e)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		snap, err := l.FilesSnapshot(c.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		prefix, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			prefix, last = toComplete[:i+1], toComplete[i+1:]
		}
		seen := map[string]bool{}
		var out []string
		for _, f := range snap.Files {
			v := key(f.Partition())
			if !seen[v] && strings.HasPrefix(v, last) {
				seen[v] = true
				out = append(out, prefix+v)
			}
		}
		slices.Sort(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
