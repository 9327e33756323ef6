// Package cdf writes and reads NASA Common Data Format (CDF) version 3 files.
//
// The writer produces single-file, uncompressed, row-major CDF 3.9 files with
// zVariables only, in the little-endian IBM PC encoding (code 6). Everything it
// knows about the file (variables, attributes, data) is given before
// [Writer.WriteTo], so the file is laid out once and streamed sequentially:
// no seeking, no temporary files.
//
// The reader accepts single-file, uncompressed CDF 3 files in any IEEE
// encoding, with zVariables and rVariables, and follows VXR chains and VXR
// trees as written by the NASA CDF library and other writers.
//
// Go types used for CDF data types (both directions):
//
//	INT1, BYTE                 int8
//	INT2                       int16
//	INT4                       int32
//	INT8, TIME_TT2000          int64
//	UINT1                      uint8
//	UINT2                      uint16
//	UINT4                      uint32
//	REAL4, FLOAT               float32
//	REAL8, DOUBLE, EPOCH       float64
//	EPOCH16                    float64, two per value (seconds, picoseconds)
//	CHAR, UCHAR                string
//
// Writing an ISTP-style file:
//
//	w := cdf.NewWriter()
//	w.GlobalAttr("Logical_source", "mms1_fgm_srvy_l2")
//	w.GlobalAttr("TEXT", "first line", "second line") // two entries
//	w.Variable("Epoch", cdf.TT2000, nil, true).Append(epochs).
//		Attr("FILLVAL", cdf.As(cdf.TT2000, cdf.FillTT2000))
//	w.Variable("mms1_fgm_b_gse_srvy_l2", cdf.Real4, []int{4}, true).Append(b).
//		Attr("DEPEND_0", "Epoch").Attr("FILLVAL", float32(cdf.FillReal))
//	w.Variable("label_b_gse", cdf.Char, []int{4}, false).
//		Append([]string{"Bx GSE", "By GSE", "Bz GSE", "Bt"})
//	err := w.Write(path)
//
// Definition errors are sticky and reported by Write/WriteTo (see Writer).
// TIME_TT2000 values are int64 nanoseconds given by the caller; the GDR's
// LeapSecondLastUpdated defaults to LeapSecondLastUpdated (2017-01-01).
package cdf
