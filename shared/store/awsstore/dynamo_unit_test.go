package awsstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

func TestEncodeValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want types.AttributeValue
	}{
		{int64(math.MinInt64), &types.AttributeValueMemberN{Value: "-9223372036854775808"}},
		{uint64(1) << 62, &types.AttributeValueMemberN{Value: "4611686018427387904"}},
		{3.0, &types.AttributeValueMemberN{Value: "3"}},
		{-2.25e-10, &types.AttributeValueMemberN{Value: "-2.25e-10"}},
		{1e20, &types.AttributeValueMemberN{Value: "1e+20"}},
		{[]string{"b", "a"}, &types.AttributeValueMemberSS{Value: []string{"b", "a"}}},
		{nil, &types.AttributeValueMemberNULL{Value: true}},
		{map[string]string{"k": "v"}, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}}},
	} {
		got, _, err := encodeValue(tc.in, 1)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("encodeValue(%#v) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	deep := any("x")
	for range maxDepth + 1 {
		deep = []any{deep}
	}
	for _, bad := range []any{
		[]string{}, []string{"a", "a"}, math.NaN(), math.Inf(-1), 1e130, 1e-140,
		uint64(math.MaxUint64), struct{}{}, "\xff", map[string]any{"\xff": 1}, deep, []int{1},
	} {
		if _, _, err := encodeValue(bad, 1); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("encodeValue(%#v): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestDecodeValue(t *testing.T) {
	for _, tc := range []struct {
		in   types.AttributeValue
		want any
	}{
		{&types.AttributeValueMemberN{Value: "100000000000000000000"}, 1e20}, // DynamoDB's form of 1e20
		{&types.AttributeValueMemberN{Value: "-0.000000000225"}, -2.25e-10},
		{&types.AttributeValueMemberN{Value: "42"}, int64(42)},
		{&types.AttributeValueMemberN{Value: "9223372036854775808"}, 9223372036854775808.0},
		{&types.AttributeValueMemberSS{Value: []string{"c", "a", "b"}}, []string{"a", "b", "c"}},
		{&types.AttributeValueMemberB{}, []byte{}},
		{&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberNULL{Value: true}}}, []any{nil}},
	} {
		got, err := decodeValue(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeValue(%#v) = %#v (%T), %v; want %#v", tc.in, got, got, err, tc.want)
		}
	}
	for _, bad := range []types.AttributeValue{
		&types.AttributeValueMemberN{Value: "12abc"},
		&types.AttributeValueMemberNS{Value: []string{"1"}},
		&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": &types.AttributeValueMemberBS{}}},
	} {
		if _, err := decodeValue(bad); err == nil {
			t.Errorf("decodeValue(%#v) succeeded", bad)
		}
	}
}

func TestCursor(t *testing.T) {
	attrs := []string{"name", "ts", "pk", "sk"}
	item := map[string]types.AttributeValue{}
	for _, a := range attrs {
		item[a] = &types.AttributeValueMemberS{Value: a + "-välue"}
	}
	item["other"] = &types.AttributeValueMemberN{Value: "1"}
	c, err := encodeCursor(item, attrs)
	if err != nil {
		t.Fatal(err)
	}
	start, err := decodeCursor(c, attrs)
	if err != nil {
		t.Fatal(err)
	}
	delete(item, "other")
	if !reflect.DeepEqual(start, item) {
		t.Fatalf("cursor round trip: %#v, want %#v", start, item)
	}
	tableCursor, _ := encodeCursor(item, []string{"pk", "sk"})
	for _, bad := range []string{"!!", "e30", tableCursor, c[:len(c)-2]} {
		if _, err := decodeCursor(bad, attrs); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("decodeCursor(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

// TestPageLimits checks the paging rules against DynamoDB's way of paging:
// calls stop early (1 MB) and return LastEvaluatedKey even at the very end.
func TestPageLimits(t *testing.T) {
	sc := &schema{table: "t", pk: "pk", sk: "sk"}
	var all []map[string]types.AttributeValue
	for i := range 10 {
		all = append(all, map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "P"},
			"sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("%02d", i)},
		})
	}
	const perCall = 3 // the "1 MB" boundary
	calls := 0
	fetch := func(_ context.Context, start map[string]types.AttributeValue, limit *int32) ([]map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
		calls++
		from := 0
		if start != nil {
			for i, it := range all {
				if reflect.DeepEqual(it, start) {
					from = i + 1
				}
			}
		}
		n := perCall
		if limit != nil {
			n = min(n, int(*limit))
		}
		n = min(n, len(all)-from)
		got := all[from : from+n]
		var lek map[string]types.AttributeValue
		if n > 0 && (n == perCall || (limit != nil && n == int(*limit))) {
			lek = got[n-1] // DynamoDB sets it whenever it stopped on a limit
		}
		return got, lek, nil
	}
	for _, limit := range []int{0, 1, 2, 3, 4, 9, 10, 11} {
		var got []string
		cursor := ""
		for pages := 1; ; pages++ {
			p, err := sc.page(context.Background(), "", cursor, limit, fetch)
			if err != nil {
				t.Fatal(err)
			}
			if (limit > 0 && len(p.Items) > limit) || (cursor != "" && len(p.Items) == 0) {
				t.Fatalf("limit %d page %d: %d items after cursor %q", limit, pages, len(p.Items), cursor)
			}
			for _, it := range p.Items {
				got = append(got, it.String("sk"))
			}
			if p.Cursor == "" {
				wantPages := 1
				if limit > 0 {
					wantPages = (10 + limit - 1) / limit
				}
				if pages != wantPages || len(got) != 10 {
					t.Fatalf("limit %d: %d items in %d pages, want 10 in %d", limit, len(got), pages, wantPages)
				}
				break
			}
			cursor = p.Cursor
		}
	}
	if calls == 0 {
		t.Fatal("fetch never called")
	}
}

func TestConditionExpressions(t *testing.T) {
	sc := &schema{pk: "pk", sk: "sk"}
	for _, tc := range []struct {
		cond store.Cond
		expr string
	}{
		{store.IfNotExists(), "attribute_not_exists(#k)"},
		{store.IfExists(), "attribute_exists(#k)"},
		{store.IfAttrEquals("version", 3), "#a = :v"},
		{store.Cond{Kind: store.CondAttrNotEquals, Attr: "state", Value: "DONE"}, "attribute_not_exists(#a) OR #a <> :v"},
	} {
		ce, err := sc.condition(tc.cond)
		if err != nil || ce.expr == nil || *ce.expr != tc.expr {
			t.Errorf("condition(%+v) = %v, %v; want %q", tc.cond, ce.expr, err, tc.expr)
		}
	}
	if ce, err := sc.condition(store.Cond{}); err != nil || ce.expr != nil {
		t.Errorf("no condition gave %v, %v", ce.expr, err)
	}
	for _, bad := range []store.Cond{{Kind: 99}, {Kind: store.CondAttrEquals}, {Kind: store.CondAttrEquals, Attr: "a", Value: struct{}{}}} {
		if _, err := sc.condition(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("condition(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}
