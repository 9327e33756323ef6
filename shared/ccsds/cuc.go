package ccsds

import (
	"fmt"
	"math"
	"time"

	"github.com/magpie-sdc/magpie/shared/timeutil"
)

// FineTicks is the number of fine-time ticks per second (2^16).
const FineTicks = 1 << 16

// CUC is a CCSDS unsegmented time code with 4 octets of coarse time and 2
// octets of fine time: seconds since 1958-01-01T00:00:00 TAI (the TAI-1958
// scale of shared/timeutil, leap seconds included) plus Fine/65536 s.
type CUC struct {
	Coarse uint32
	Fine   uint16
}

// CUCFromTAI returns the CUC of TAI-1958 second sec plus frac seconds,
// rounded to the nearest fine tick; frac may be any finite value (it is
// normalised into whole and fractional seconds first).
func CUCFromTAI(sec int64, frac float64) (CUC, error) {
	if math.IsNaN(frac) || math.IsInf(frac, 0) {
		return CUC{}, fmt.Errorf("ccsds: CUC fraction %v is not finite", frac)
	}
	whole := math.Floor(frac)
	sec += int64(whole)
	fine := int64(math.Round((frac - whole) * FineTicks))
	if fine == FineTicks {
		sec++
		fine = 0
	}
	if sec < 0 || sec > math.MaxUint32 {
		return CUC{}, fmt.Errorf("ccsds: TAI-1958 second %d does not fit a 32-bit CUC", sec)
	}
	return CUC{Coarse: uint32(sec), Fine: uint16(fine)}, nil
}

// NewCUC returns the CUC of the UTC instant t.
func NewCUC(t time.Time) (CUC, error) {
	tai, err := timeutil.UTCToTAI(t)
	if err != nil {
		return CUC{}, fmt.Errorf("ccsds: %w", err)
	}
	return CUCFromTAI(tai, float64(t.Nanosecond())/1e9)
}

// Seconds returns the time as fractional TAI-1958 seconds.
func (c CUC) Seconds() float64 {
	return float64(c.Coarse) + float64(c.Fine)/FineTicks
}

// UTC converts the time to UTC (to the microsecond, see
// timeutil.TAIFloatToUTC for the leap-second convention).
func (c CUC) UTC() (time.Time, error) {
	t, err := timeutil.TAIToUTC(int64(c.Coarse))
	if err != nil {
		return time.Time{}, fmt.Errorf("ccsds: %w", err)
	}
	ns := (int64(c.Fine)*1_000_000_000 + FineTicks/2) / FineTicks
	return t.Add(time.Duration(ns)), nil
}

// Sub returns c − o in seconds.
func (c CUC) Sub(o CUC) float64 {
	return float64(int64(c.Coarse)-int64(o.Coarse)) + float64(int32(c.Fine)-int32(o.Fine))/FineTicks
}
