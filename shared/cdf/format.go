package cdf

import "encoding/binary"

// Facts of the CDF v3 internal format (CDF Internal Format Description).
// Control fields are big-endian: offsets and record sizes 8 bytes, other
// fields 4 bytes.
const (
	magicV3           = 0xCDF30001
	magicUncompressed = 0x0000FFFF
	magicCompressed   = 0xCCCC0001

	// encodingIBMPC is the encoding the writer uses: little-endian IEEE.
	encodingIBMPC = 6

	cdrFlagRowMajor   = 1 << 0
	cdrFlagSingleFile = 1 << 1

	vdrFlagRecVary    = 1 << 0
	vdrFlagPad        = 1 << 1
	vdrFlagCompressed = 1 << 2

	scopeGlobal   = 1
	scopeVariable = 2

	nameLen      = 256 // attribute and variable names, CDF 3
	copyrightLen = 256

	cdrSize       = 12 + 8 + 9*4 + copyrightLen // 312
	gdrSize       = 12 + 4*8 + 5*4 + 8 + 3*4    // 84, no rDimSizes
	adrSize       = 12 + 8 + 8 + 5*4 + 8 + 3*4 + nameLen
	aedrHeadSize  = 12 + 8 + 9*4                                   // 56, then the value
	zvdrBaseSize  = 12 + 8 + 2*4 + 2*8 + 7*4 + 8 + 4 + nameLen + 4 // 344
	rvdrBaseSize  = zvdrBaseSize - 4                               // no zNumDims
	vxrBaseSize   = 12 + 8 + 2*4
	vxrEntrySize  = 4 + 4 + 8
	recHeaderSize = 12
)

// Internal record types.
const (
	rtCDR   = 1
	rtGDR   = 2
	rtRVDR  = 3
	rtADR   = 4
	rtAGEDR = 5
	rtVXR   = 6
	rtVVR   = 7
	rtZVDR  = 8
	rtAZEDR = 9
	rtCCR   = 10
	rtCPR   = 11
	rtSPR   = 12
	rtCVVR  = 13
)

// copyright is the CDR's text field; readers show it as the library notice.
const copyright = "\nCommon Data Format (CDF)\nhttps://cdf.gsfc.nasa.gov\n" +
	"Space Physics Data Facility\nNASA/Goddard Space Flight Center\n" +
	"Written by Magpie (github.com/magpie-sdc/magpie/shared/cdf)\n"

// be appends big-endian control fields.
type be []byte

func (b be) i32(v int32) be { return binary.BigEndian.AppendUint32(b, uint32(v)) }
func (b be) i64(v int64) be { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// text appends s NUL-padded to n bytes (s is never longer: names are checked).
func (b be) text(s string, n int) be {
	b = append(b, s...)
	for i := len(s); i < n; i++ {
		b = append(b, 0)
	}
	return b
}

// header appends a record's RecordSize and RecordType.
func (b be) header(size int64, typ int32) be { return b.i64(size).i32(typ) }
