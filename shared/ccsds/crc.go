package ccsds

// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no bit
// reflection, no final XOR. The check value of "123456789" is 0x29B1.
const (
	crcPoly = 0x1021
	crcInit = 0xFFFF
)

// crcTables[k][b] is the CRC register contribution of byte b followed by k
// zero bytes, so eight bytes are folded in per step ("slicing by 8"), which
// is several times faster than one table look-up per byte.
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ crcPoly
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			p := t[k-1][i]
			t[k][i] = p<<8 ^ t[0][byte(p>>8)]
		}
	}
	return t
}()

// CRC16 returns the CRC-16/CCITT-FALSE of b.
func CRC16(b []byte) uint16 {
	c := uint16(crcInit)
	t := &crcTables
	for len(b) >= 8 {
		c = t[7][b[0]^byte(c>>8)] ^ t[6][b[1]^byte(c)] ^
			t[5][b[2]] ^ t[4][b[3]] ^ t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
		b = b[8:]
	}
	for _, x := range b {
		c = c<<8 ^ t[0][byte(c>>8)^x]
	}
	return c
}
