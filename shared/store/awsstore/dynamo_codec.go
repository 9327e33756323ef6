package awsstore

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/magpie-sdc/magpie/shared/store"
)

// Item encoding follows the port's value rules (store.Item), the same rules
// as the local adapter:
//
//	string → S   int*/uint* → N (decimal)   float → N   bool → BOOL
//	[]byte → B   []string → SS   map → M   []any → L   nil → NULL
//
// N reads back as int64 when it is an integer that fits, else float64; a
// whole float such as 3.0 is written as the integer 3, as DynamoDB would
// normalise it. DynamoDB sets are unordered, so SS reads back sorted; and
// DynamoDB cannot hold an empty set or a set with duplicates, so those
// []string values are ErrInvalid rather than silently changed.
const (
	maxItemSize = 400 * 1024 // DynamoDB's item limit, names and values
	maxDepth    = 32         // nesting levels DynamoDB allows
)

// encodeItem validates item and converts it, returning its DynamoDB size.
func encodeItem(item store.Item) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(item))
	size := 0
	for name, v := range item {
		if name == "" || !utf8.ValidString(name) {
			return nil, invalidf("attribute name %q", name)
		}
		av, n, err := encodeValue(v, 1)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = av
		size += len(name) + n
	}
	if size > maxItemSize {
		return nil, invalidf("item of about %d bytes exceeds DynamoDB's 400 KB limit", size)
	}
	return out, nil
}

// encodeValue converts one value and returns its size as DynamoDB counts it
// (approximately for numbers).
func encodeValue(v any, depth int) (types.AttributeValue, int, error) {
	if depth > maxDepth {
		return nil, 0, invalidf("nested deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, 1, nil
	case string:
		if !utf8.ValidString(x) {
			return nil, 0, invalidf("string is not UTF-8")
		}
		return &types.AttributeValueMemberS{Value: x}, len(x), nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, 1, nil
	case int:
		return number(strconv.FormatInt(int64(x), 10))
	case int8:
		return number(strconv.FormatInt(int64(x), 10))
	case int16:
		return number(strconv.FormatInt(int64(x), 10))
	case int32:
		return number(strconv.FormatInt(int64(x), 10))
	case int64:
		return number(strconv.FormatInt(x, 10))
	case uint:
		return unsigned(uint64(x))
	case uint8:
		return unsigned(uint64(x))
	case uint16:
		return unsigned(uint64(x))
	case uint32:
		return unsigned(uint64(x))
	case uint64:
		return unsigned(x)
	case float32:
		return float(float64(x))
	case float64:
		return float(x)
	case []byte:
		return &types.AttributeValueMemberB{Value: slices.Clone(x)}, len(x), nil
	case []string:
		if len(x) == 0 {
			return nil, 0, invalidf("empty string set (DynamoDB cannot store one)")
		}
		size := 0
		seen := make(map[string]bool, len(x))
		for _, s := range x {
			if !utf8.ValidString(s) {
				return nil, 0, invalidf("string is not UTF-8")
			}
			if seen[s] {
				return nil, 0, invalidf("string set holds %q twice", s)
			}
			seen[s] = true
			size += len(s)
		}
		return &types.AttributeValueMemberSS{Value: slices.Clone(x)}, size, nil
	case map[string]any:
		return encodeMap(x, depth)
	case store.Item:
		return encodeMap(x, depth)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return encodeMap(m, depth)
	case []any:
		l := make([]types.AttributeValue, len(x))
		size := 3
		for i, el := range x {
			av, n, err := encodeValue(el, depth+1)
			if err != nil {
				return nil, 0, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = av
			size += n + 1
		}
		return &types.AttributeValueMemberL{Value: l}, size, nil
	}
	return nil, 0, invalidf("unsupported value type %T", v)
}

func encodeMap(x map[string]any, depth int) (types.AttributeValue, int, error) {
	m := make(map[string]types.AttributeValue, len(x))
	size := 3
	for k, el := range x {
		if !utf8.ValidString(k) {
			return nil, 0, invalidf("map key %q is not UTF-8", k)
		}
		av, n, err := encodeValue(el, depth+1)
		if err != nil {
			return nil, 0, fmt.Errorf(".%s: %w", k, err)
		}
		m[k] = av
		size += len(k) + n + 1
	}
	return &types.AttributeValueMemberM{Value: m}, size, nil
}

func number(n string) (types.AttributeValue, int, error) {
	return &types.AttributeValueMemberN{Value: n}, len(n)/2 + 1, nil
}

func unsigned(u uint64) (types.AttributeValue, int, error) {
	if u > math.MaxInt64 {
		return nil, 0, invalidf("integer %d does not fit int64", u)
	}
	return number(strconv.FormatUint(u, 10))
}

// float refuses what DynamoDB cannot hold (NaN, infinities, magnitudes
// outside 1e-130..1e126) and writes whole numbers as integers.
func float(f float64) (types.AttributeValue, int, error) {
	abs := math.Abs(f)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return nil, 0, invalidf("number %v", f)
	case abs >= 1e126 || (abs != 0 && abs < 1e-130):
		return nil, 0, invalidf("number %v is out of DynamoDB's range", f)
	case f == math.Trunc(f) && abs < 1<<63:
		return number(strconv.FormatInt(int64(f), 10))
	}
	return number(strconv.FormatFloat(f, 'g', -1, 64))
}

// decodeItem converts a DynamoDB item back to Go values.
func decodeItem(av map[string]types.AttributeValue) (store.Item, error) {
	item := make(store.Item, len(av))
	for name, v := range av {
		x, err := decodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		item[name] = x
	}
	return item, nil
}

func decodeValue(av types.AttributeValue) (any, error) {
	switch x := av.(type) {
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberS:
		return x.Value, nil
	case *types.AttributeValueMemberBOOL:
		return x.Value, nil
	case *types.AttributeValueMemberN:
		return parseNumber(x.Value)
	case *types.AttributeValueMemberB:
		if x.Value == nil {
			return []byte{}, nil
		}
		return x.Value, nil
	case *types.AttributeValueMemberSS:
		ss := slices.Clone(x.Value)
		slices.Sort(ss)
		return ss, nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, el := range x.Value {
			v, err := decodeValue(el)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = v
		}
		return l, nil
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(x.Value))
		for k, el := range x.Value {
			v, err := decodeValue(el)
			if err != nil {
				return nil, fmt.Errorf(".%s: %w", k, err)
			}
			m[k] = v
		}
		return m, nil
	}
	// NS and BS: Magpie never writes them and the port has no Go type.
	return nil, fmt.Errorf("unsupported DynamoDB type %T", av)
}

// parseNumber reads DynamoDB's decimal text: int64 when it is an integer
// that fits, else float64.
func parseNumber(n string) (any, error) {
	if !strings.ContainsAny(n, ".eE") {
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return nil, fmt.Errorf("number %q: %w", n, err)
	}
	return f, nil
}
