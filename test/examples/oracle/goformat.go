// Test oracle: formats instants with Go's own time.Format so the time service's output can be
// compared byte for byte. Reads one JSON request on stdin and writes one JSON array of strings.
package main

import (
	"encoding/json"
	"os"
	"time"
)

type instant struct {
	Unix   int64  `json:"unix"`
	Nanos  int64  `json:"nanos"`
	Zone   string `json:"zone"`   // IANA name, or "" for a fixed zone
	Name   string `json:"name"`   // fixed zone's abbreviation
	Offset int    `json:"offset"` // fixed zone's offset, seconds east of UTC
}

type request struct {
	Instants []instant `json:"instants"`
	Layouts  []string  `json:"layouts"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		panic(err)
	}
	out := []string{}
	for _, in := range req.Instants {
		var loc *time.Location
		if in.Zone != "" {
			l, err := time.LoadLocation(in.Zone)
			if err != nil {
				panic(err)
			}
			loc = l
		} else {
			loc = time.FixedZone(in.Name, in.Offset)
		}
		t := time.Unix(in.Unix, in.Nanos).In(loc)
		for _, layout := range req.Layouts {
			out = append(out, t.Format(layout))
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
