package query

// SetWindowRows sets the rows of an ordered run's time windows for a test
// and returns the function that restores them.
func SetWindowRows(n int64) (restore func()) {
	old := windowRows
	windowRows = n
	return func() { windowRows = old }
}
