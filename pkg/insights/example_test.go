package insights_test

import (
	"fmt"
	"os"

	"github.com/ctq-dev/ctq/pkg/insights"
)

func ExampleEvaluate() {
	q, err := insights.Parse(`filter ispresent(errorCode) | stats count(*) as errors by userIdentity.arn, errorCode | sort errors desc`)
	if err != nil {
		fmt.Println(err)
		return
	}
	var recs []*insights.Record
	for _, raw := range []string{
		`{"eventTime":"2024-05-01T10:00:00Z","userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"},"errorCode":"AccessDenied"}`,
		`{"eventTime":"2024-05-01T10:01:00Z","userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"},"errorCode":"AccessDenied"}`,
		`{"eventTime":"2024-05-01T10:02:00Z","userIdentity":{"arn":"arn:aws:iam::111122223333:user/bob"}}`,
	} {
		rec, err := insights.DecodeRecord([]byte(raw), "example")
		if err != nil {
			fmt.Println(err)
			return
		}
		recs = append(recs, rec)
	}
	res, err := insights.Evaluate(q, recs, insights.EvalOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	insights.WriteJSON(os.Stdout, res)
	// Output:
	// {"userIdentity.arn":"arn:aws:iam::111122223333:user/alice","errorCode":"AccessDenied","errors":2}
}

func ExampleSyntaxError_Caret() {
	_, err := insights.Parse(`stats count(*) by eventName | sort count desc`)
	if se, ok := err.(*insights.SyntaxError); ok {
		fmt.Println(se.Caret())
	}
	// Output:
	// stats count(*) by eventName | sort count desc
	//                                    ^ unknown column "count" after stats; the columns are `count(*)`, eventName
}
