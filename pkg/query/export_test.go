package query

// SetHeldBudget sets the bytes of matches an ordered run holds for one
// merge, for a test, and returns the function that restores it.
func SetHeldBudget(n int64) (restore func()) {
	old := heldBudget
	heldBudget = n
	return func() { heldBudget = old }
}
