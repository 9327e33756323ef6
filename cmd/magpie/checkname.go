package main

import (
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/magpie-sdc/magpie/shared/catalog"
	"github.com/magpie-sdc/magpie/shared/naming"
)

// nameFields is what check-name prints for a valid name.
type nameFields struct {
	FileName   string `json:"file_name"`
	Kind       string `json:"kind"`
	SC         string `json:"sc_id,omitempty"`
	Instrument string `json:"instrument_id,omitempty"`
	Rate       string `json:"data_rate_mode,omitempty"`
	Level      string `json:"data_level,omitempty"`
	Descriptor string `json:"descriptor,omitempty"`
	Product    string `json:"product,omitempty"`
	Start      string `json:"start"`
	End        string `json:"end,omitempty"`
	Version    string `json:"version,omitempty"`
	Ext        string `json:"ext,omitempty"`
	ArchiveKey string `json:"archive_key"`
}

func checkNameCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check-name", stderr)
	profilePath := fs.String("profile", "", "mission profile file (YAML or JSON); default: the built-in MMS profile")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return fail(stderr, 2, "check-name: give one or more file names")
	}
	p, err := loadProfile(*profilePath)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	enc := json.NewEncoder(stdout)
	code := 0
	for _, name := range fs.Args() {
		n, err := naming.Parse(name)
		if err == nil {
			err = p.CheckName(n)
		}
		if err != nil {
			var ne *naming.NameError
			if errors.As(err, &ne) {
				err = errors.New(ne.Reason)
			}
			fail(stderr, 2, "%s: %v", name, err)
			code = 2
			continue
		}
		r, err := catalog.FromName(n)
		if err != nil {
			fail(stderr, 2, "%s: %v", name, err)
			code = 2
			continue
		}
		f := nameFields{FileName: r.Name, Kind: r.Kind, SC: r.SC, Instrument: r.Instrument, Rate: r.Rate, Level: r.Level,
			Descriptor: r.Descriptor, Product: r.Product, Start: r.Start.Format(time.RFC3339), Version: r.Version, Ext: r.Ext, ArchiveKey: r.ArchiveKey}
		if !r.End.IsZero() {
			f.End = r.End.Format(time.RFC3339)
		}
		enc.Encode(f)
	}
	return code
}
