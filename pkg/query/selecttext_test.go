package query_test

import (
	"reflect"
	"testing"

	"github.com/ctq-dev/ctq/pkg/query"
)

func TestSelectText(t *testing.T) {
	raw := []byte(`{"sourceIPAddress":"203.0.113.7","userIdentity":{"arn":"arn:x","type":"IAMUser"},"readOnly":true,` +
		`"requestParameters":{"maxResults":100,"tags":null,"nested":{"a":1}},"resources":[{"ARN":"a1"},{"ARN":"a2"},{}]}`)
	paths := []string{"sourceIPAddress", "userIdentity.arn", "readOnly", "requestParameters.maxResults",
		"requestParameters.tags", "requestParameters.nested", "resources.arn", "errorCode"}
	var sels []query.Selector
	for _, p := range paths {
		sel, err := query.DefaultResolver(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		sels = append(sels, sel)
	}
	got, ok := query.SelectText(raw, sels)
	want := [][]string{{"203.0.113.7"}, {"arn:x"}, {"true"}, {"100"}, nil, nil, {"a1", "a2"}, nil}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("SelectText = %q, %v; want %q", got, ok, want)
	}
	for _, bad := range []string{``, `{"a":1} {"b":2}`, `{"a":`} {
		if vals, ok := query.SelectText([]byte(bad), sels); ok || vals != nil {
			t.Errorf("SelectText(%q) = %q, %v; want nil, false", bad, vals, ok)
		}
	}
}
