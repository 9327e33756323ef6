package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// headLen is how many leading bytes content checks look at.
const headLen = 4096

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// checkHead returns why the first bytes of a file do not fit its name's
// extension, or "" when they do.
func checkHead(name string, head []byte) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	switch {
	case ext == "cdf":
		if len(head) < 8 {
			return "too short to be a CDF file"
		}
		m1, m2 := binary.BigEndian.Uint32(head), binary.BigEndian.Uint32(head[4:])
		if m1 != 0xCDF30001 && m1 != 0xCDF26002 {
			return fmt.Sprintf("not a CDF file: magic number %08X, expected CDF30001 (CDF 3) or CDF26002 (CDF 2.6+)", m1)
		}
		if m2 != 0x0000FFFF && m2 != 0xCCCC0001 {
			return fmt.Sprintf("not a CDF file: second magic number %08X, expected 0000FFFF or CCCC0001", m2)
		}
	case ext == "png":
		if !bytes.HasPrefix(head, pngSignature) {
			return "not a PNG image: the PNG signature is missing"
		}
	case ext == "dat":
		// L0 telemetry: a CCSDS primary header, version 0, telemetry type,
		// with a secondary header.
		if len(head) < 6 {
			return "too short to hold a CCSDS packet header"
		}
		if head[0]>>5 != 0 || head[0]&0x10 != 0 {
			return fmt.Sprintf("not CCSDS telemetry: first header byte %02X (version must be 0, type telemetry)", head[0])
		}
	case ext == "sav":
		if !bytes.HasPrefix(head, []byte("SR")) {
			return "not an IDL save file: the SR signature is missing"
		}
	case ext == "csv" || ext == "txt" || strings.HasPrefix(ext, "v"):
		// Text: CSV selections and metadata, ancillary files (.Vnn).
		if bytes.IndexByte(head, 0) >= 0 {
			return "not a text file: it contains NUL bytes"
		}
		if !utf8.Valid(trimPartialRune(head)) {
			return "not a text file: invalid UTF-8"
		}
	}
	return ""
}

// trimPartialRune drops a rune cut in half at the end of a read window.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// contentType returns the media type stored with an archive object.
func contentType(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".cdf":
		return "application/x-cdf"
	case ".png":
		return "image/png"
	case ".csv":
		return "text/csv"
	case ".json":
		return "application/json"
	}
	if strings.HasPrefix(strings.ToUpper(path.Ext(key)), ".V") {
		return "text/plain"
	}
	return "application/octet-stream"
}
