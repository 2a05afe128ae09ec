package insights

import (
	"encoding/json"
	"math"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// call evaluates a scalar function (spec §3.2). A missing argument gives
// null, except for ispresent, isempty, isblank and coalesce; maps and
// lists are null to string, number and time functions.
func (ev *env) call(c *Call, r *row) Value {
	switch c.Fn {
	case "ispresent":
		return Bool(!ev.eval(c.Args[0], r).IsNull())
	case "isempty", "isblank":
		v := ev.eval(c.Args[0], r)
		empty := v.IsNull() || (v.Kind == KindString && v.Str == "")
		if c.Fn == "isblank" && v.Kind == KindString && strings.TrimSpace(v.Str) == "" {
			empty = true
		}
		return oneZero(empty)
	case "coalesce":
		for _, a := range c.Args {
			if v := ev.eval(a, r); !v.IsNull() {
				return v
			}
		}
		return Null
	case "greatest", "least":
		best, have := 0.0, false
		for _, a := range c.Args {
			f, ok := ev.eval(a, r).numeric()
			if !ok {
				continue
			}
			if !have || (c.Fn == "greatest" && f > best) || (c.Fn == "least" && f < best) {
				best, have = f, true
			}
		}
		if !have {
			return Null
		}
		return Number(best)
	case "bin":
		ts := ev.timestamp(r)
		if ts.IsNull() {
			return Null
		}
		return Time(c.Args[0].(*DurationLit).D.Floor(ts.Ms))
	case "datefloor", "dateceil":
		t, ok := ev.eval(c.Args[0], r).asTime()
		if !ok {
			return Null
		}
		d := c.Args[1].(*DurationLit).D
		if c.Fn == "datefloor" {
			return Time(d.Floor(t))
		}
		return Time(d.Ceil(t))
	case "now":
		return Number(float64(ev.now.Unix()))
	case "isvalidip", "isvalidipv4", "isvalidipv6", "isipinsubnet", "isipv4insubnet", "isipv6insubnet":
		// Tests: a missing or non-IP value is false, not null.
		args := make([]Value, len(c.Args))
		for i, a := range c.Args {
			args[i] = ev.eval(a, r)
		}
		return scalarFunc(c.Fn, args)
	}
	args := make([]Value, len(c.Args))
	for i, a := range c.Args {
		args[i] = ev.eval(a, r)
		if !args[i].isScalar() && c.Fn != "jsonstringify" && c.Fn != "concat" {
			return Null
		}
	}
	return scalarFunc(c.Fn, args)
}

func oneZero(b bool) Value {
	if b {
		return Number(1)
	}
	return Number(0)
}

// scalarFunc evaluates the functions whose arguments are evaluated first;
// every argument is a non-null scalar except for jsonStringify and concat.
func scalarFunc(fn string, args []Value) Value {
	switch fn {
	case "abs", "ceil", "floor", "log", "sqrt":
		f, ok := args[0].numeric()
		if !ok {
			return Null
		}
		switch fn {
		case "abs":
			f = math.Abs(f)
		case "ceil":
			f = math.Ceil(f)
		case "floor":
			f = math.Floor(f)
		case "log":
			if f <= 0 {
				return Null
			}
			f = math.Log(f)
		case "sqrt":
			if f < 0 {
				return Null
			}
			f = math.Sqrt(f)
		}
		return Number(f)
	case "toupper":
		return String(strings.ToUpper(args[0].Text()))
	case "tolower":
		return String(strings.ToLower(args[0].Text()))
	case "strlen":
		return Number(float64(utf8.RuneCountInString(args[0].Text())))
	case "trim", "ltrim", "rtrim":
		s := args[0].Text()
		if len(args) == 2 {
			cut := args[1].Text()
			switch fn {
			case "trim":
				return String(strings.Trim(s, cut))
			case "ltrim":
				return String(strings.TrimLeft(s, cut))
			}
			return String(strings.TrimRight(s, cut))
		}
		switch fn {
		case "trim":
			return String(strings.TrimSpace(s))
		case "ltrim":
			return String(strings.TrimLeftFunc(s, unicode.IsSpace))
		}
		return String(strings.TrimRightFunc(s, unicode.IsSpace))
	case "substr":
		rs := []rune(args[0].Text())
		start, ok := args[1].numeric()
		if !ok {
			return Null
		}
		from := clampInt(start, 0, len(rs))
		to := len(rs)
		if len(args) == 3 {
			n, ok := args[2].numeric()
			if !ok {
				return Null
			}
			to = from + clampInt(n, 0, len(rs)-from)
		}
		return String(string(rs[from:to]))
	case "replace":
		return String(strings.ReplaceAll(args[0].Text(), args[1].Text(), args[2].Text()))
	case "strcontains":
		s, sub := args[0].Text(), args[1].Text()
		if len(args) == 3 && args[2].Truthy() && args[2].Text() != "false" {
			s, sub = strings.ToLower(s), strings.ToLower(sub)
		}
		return oneZero(strings.Contains(s, sub))
	case "concat":
		var b strings.Builder
		for _, a := range args {
			if a.IsNull() {
				return Null
			}
			b.WriteString(a.Text())
		}
		return String(b.String())
	case "isvalidip", "isvalidipv4", "isvalidipv6":
		a, err := netip.ParseAddr(args[0].Text())
		if err != nil {
			return Bool(false)
		}
		switch fn {
		case "isvalidipv4":
			return Bool(a.Is4())
		case "isvalidipv6":
			return Bool(a.Is6())
		}
		return Bool(true)
	case "isipinsubnet", "isipv4insubnet", "isipv6insubnet":
		a, err := netip.ParseAddr(args[0].Text())
		if err != nil {
			return Bool(false)
		}
		p, err := netip.ParsePrefix(args[1].Text())
		if err != nil {
			return Bool(false)
		}
		if (fn == "isipv4insubnet" && !a.Is4()) || (fn == "isipv6insubnet" && !a.Is6()) || a.Is4() != p.Addr().Is4() {
			return Bool(false)
		}
		return Bool(p.Contains(a))
	case "frommillis":
		f, ok := args[0].numeric()
		if !ok || math.IsNaN(f) || math.Abs(f) > 1e15 {
			return Null
		}
		return Time(int64(math.Floor(f)))
	case "tomillis":
		t, ok := args[0].asTime()
		if !ok {
			return Null
		}
		return Number(float64(t))
	case "jsonparse":
		if args[0].Kind != KindString {
			return Null
		}
		dec := json.NewDecoder(strings.NewReader(args[0].Str))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil || dec.More() {
			return Null
		}
		switch x.(type) {
		case map[string]any, []any:
			return fromJSON(x)
		}
		return Null
	case "jsonstringify":
		if args[0].Kind != KindMap && args[0].Kind != KindList {
			return Null
		}
		return String(compactJSON(args[0].Obj))
	}
	return Null
}

func clampInt(f float64, lo, hi int) int {
	if math.IsNaN(f) || f < float64(lo) {
		return lo
	}
	if f > float64(hi) {
		return hi
	}
	return int(f)
}
