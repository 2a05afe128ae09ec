// Package lineage follows CloudTrail credentials: from the events that
// issue keys (STS AssumeRole*, GetSessionToken, GetFederationToken,
// AssumeRoot, IAM CreateAccessKey, AWS services assuming roles for
// workloads, and, inferred, console sign-ins and IAM Identity Center) to the
// events that use them, across the accounts of an organization trail and
// through role chaining. Trace walks from a key or ARN backwards to the
// credential at the root and forwards to what it issued, summarises each
// credential and flags workload keys used from a second network origin.
// Summarize and NewValues answer the next questions of an investigation:
// what each principal did, and what is new.
//
// The package reads events only through EventSource, one lookup per call
// with a selective filter pattern; LakeSource runs them on the query
// engine, MemorySource on records in memory. The link rules, what cannot be
// linked and the exfiltration heuristic are in docs/LINEAGE.md.
package lineage
