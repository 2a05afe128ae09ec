package query

import (
	"encoding/json"
	"strconv"
)

// SelectText returns, for each selector, the text of the scalar values it
// reaches in the record raw (one JSON value): strings as they are, numbers
// in their JSON spelling, booleans as true/false, the text a comparison on
// the selector sees. Null, objects and arrays are left out. ok is false
// when raw is not one JSON value. The record is decoded once for all
// selectors, with the reference evaluator's selection, so a caller that
// needs field values of a match (a detection's group key) sees them as
// the pattern did.
func SelectText(raw []byte, sels []Selector) (vals [][]string, ok bool) {
	doc, ok := refDecode(raw)
	if !ok {
		return nil, false
	}
	vals = make([][]string, len(sels))
	for i, sel := range sels {
		for _, v := range refSelect(doc, sel.Steps, nil) {
			switch x := v.(type) {
			case string:
				vals[i] = append(vals[i], x)
			case json.Number:
				vals[i] = append(vals[i], string(x))
			case bool:
				vals[i] = append(vals[i], strconv.FormatBool(x))
			}
		}
	}
	return vals, true
}
