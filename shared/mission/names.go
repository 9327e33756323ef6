package mission

import "github.com/magpie-sdc/magpie/shared/naming"

// CheckName tells whether the mission has the product a parsed file name is
// of: the science product, the ancillary product, or the selection type.
func (p *Profile) CheckName(n naming.Name) error {
	switch v := n.(type) {
	case naming.Science:
		return p.CheckProduct(v.SC, v.Instrument, v.Rate, v.Level, v.Descriptor, v.Ext, v.TimeDigits)
	case naming.Ancillary:
		return p.CheckAncillary(v.SCID(), v.ProductCode())
	case naming.Selection:
		return p.CheckSelection(string(v.Type))
	}
	return nil
}
