package awsstore

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/magpie-sdc/magpie/shared/store"
)

// apiCode returns the AWS error code of err ("NoSuchKey",
// "ConditionalCheckFailedException", ...) or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of the response that failed, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// also wraps err so errors.Is finds both kind and the AWS error.
func also(kind error, err error) error {
	return fmt.Errorf("%w: %w", kind, err)
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrInvalid)...)
}
