package cdf_test

import (
	"bytes"
	"fmt"

	"github.com/magpie-sdc/magpie/shared/cdf"
)

func Example() {
	w := cdf.NewWriter()
	w.GlobalAttr("Logical_source", "mms1_fgm_srvy_l2")
	w.Variable("Epoch", cdf.TT2000, nil, true).
		Append([]int64{536500867184000000, 536500868184000000, 536500869184000000}).
		Attr("FILLVAL", cdf.As(cdf.TT2000, cdf.FillTT2000))
	w.Variable("mms1_fgm_b_gse_srvy_l2", cdf.Real4, []int{4}, true).
		Append([]float32{1, 2, 3, 3.7, 4, 5, 6, 8.8, 7, 8, 9, 13.9}).
		Attr("DEPEND_0", "Epoch").
		Attr("LABL_PTR_1", "label_b_gse")
	w.Variable("label_b_gse", cdf.Char, []int{4}, false).
		Append([]string{"Bx GSE", "By GSE", "Bz GSE", "Bt"})
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		fmt.Println(err)
		return
	}

	f, err := cdf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	src, _ := f.GlobalAttr("Logical_source")
	fmt.Println(src.Entries[0])
	for _, v := range f.Vars {
		fmt.Println(v)
	}
	b, _ := f.Var("mms1_fgm_b_gse_srvy_l2").Float32s()
	labels, _ := f.Var("label_b_gse").Strings()
	fmt.Println(labels[3], b[3], b[7], b[11])
	// Output:
	// mms1_fgm_srvy_l2
	// Epoch CDF_TIME_TT2000 [] x 3 records
	// mms1_fgm_b_gse_srvy_l2 CDF_REAL4 [4] x 3 records
	// label_b_gse CDF_CHAR*6 [4] x 1 records (non-record-varying)
	// Bt 3.7 8.8 13.9
}
