// Package insights runs the CloudWatch Logs Insights query language over
// CloudTrail records: the subset of commands, functions and semantics
// described in docs/LANGUAGE.md ("Aggregations").
//
// The pieces, one file each:
//
//	lexer.go, parser.go, ast.go   text → *Query (every node prints as valid query text)
//	validate.go                   the validity rules (two stats at most, bin only as a key, …)
//	errors.go                     *SyntaxError: query, offset, token, what was expected, Caret
//	value.go, compare.go          typed values, the comparison rule, the sort order
//	eval.go, funcs.go, agg.go     expressions, scalar functions, aggregates
//	reference.go, topn.go         the reference evaluator (streaming, bounded buffers)
//	pushdown.go, run.go           Run: the lake's scan pipeline into the evaluator
//	result.go                     Result and its table, JSON and CSV renderings
//	translate*.go                 Translate: one SQL statement for Athena, Trino or DuckDB
//	detect.go                     LooksLikeQuery: a query or a filter pattern
//
// Parse checks a query; Evaluate (or an Evaluator fed record by record)
// runs it over decoded records, and Run over the lake. The reference
// evaluator is deliberately simple (string-keyed groups, exact sets,
// stable sorts): it defines the answers, and any faster evaluation is
// tested against it.
package insights
