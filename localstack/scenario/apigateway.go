package scenario

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// HTTPAPI hosts a function the way API Gateway's HTTP API with a Lambda
// proxy integration (payload format 2.0) does: each HTTP request becomes
// an APIGatewayV2HTTPRequest event, the function's response becomes the
// HTTP response. The scenario's clients then talk to the api function as
// built for Lambda, not to shared/api directly.
type HTTPAPI struct {
	Fn Function
	// MaxBody is API Gateway's payload limit (10 MB; 0 means that).
	MaxBody int64
	seq     atomic.Int64
}

func (h *HTTPAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	max := h.MaxBody
	if max <= 0 {
		max = 10 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil || int64(len(body)) > max {
		http.Error(w, `{"message":"Request Entity Too Large"}`, http.StatusRequestEntityTooLarge)
		return
	}
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: r.URL.Path,
		RawQueryString: r.URL.RawQuery, Headers: map[string]string{}, Cookies: nil}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			ev.Cookies = append(ev.Cookies, vs...)
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	if len(body) > 0 {
		// API Gateway base64-encodes bodies it does not know to be text.
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	ev.RequestContext = events.APIGatewayV2HTTPRequestContext{RouteKey: "$default", Stage: "$default",
		RequestID: fmt.Sprintf("hosted-%d", h.seq.Add(1)), DomainName: r.Host, Time: now.Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch: now.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path,
			Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent()}}
	payload, err := json.Marshal(ev)
	if err != nil {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	out, err := h.Fn(r.Context(), payload)
	if err != nil {
		// What API Gateway answers when the integration fails.
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	b, err := json.Marshal(out)
	var resp events.APIGatewayV2HTTPResponse
	if err == nil {
		err = json.Unmarshal(b, &resp)
	}
	if err != nil || resp.StatusCode == 0 {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	data := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if data, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, bytes.NewReader(data))
}
