package provision_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/orgctl/orgctl/provision"
	"github.com/orgctl/orgctl/provision/provisiontest"
)

const benchUsers = 100_000

// benchSource is a canonical CSV of benchUsers users with groups.
func benchSource(b *testing.B) []byte {
	var csv bytes.Buffer
	if err := provisiontest.WriteCSV(&csv, provisiontest.Options{Users: benchUsers, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	return csv.Bytes()
}

// BenchmarkReadBuild reads and builds a canonical CSV of 100,000 users with
// 30 groups (ns/user), and reports the heap that the Source and the
// Desired state keep per user (src-B/user, desired-B/user), measured once
// after a GC.
func BenchmarkReadBuild(b *testing.B) {
	csv := benchSource(b)
	verified, _ := provision.VerifiedDomains(provisiontest.Domain)
	before := heap()
	src, err := provision.ReadSource(bytes.NewReader(csv), "users.csv", provision.FormatAuto)
	if err != nil {
		b.Fatal(err)
	}
	afterRead := heap()
	d, err := provision.Build(src, provision.DefaultMapping(), nil, verified)
	if err != nil {
		b.Fatal(err)
	}
	afterBuild := heap()
	runtime.KeepAlive(d)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		src, err := provision.ReadSource(bytes.NewReader(csv), "users.csv", provision.FormatAuto)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := provision.Build(src, provision.DefaultMapping(), nil, verified); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchUsers, "ns/user")
	b.ReportMetric(float64(afterRead-before)/benchUsers, "src-B/user")
	b.ReportMetric(float64(afterBuild-afterRead)/benchUsers, "desired-B/user")
}

// BenchmarkBuildEach builds the same source user by user, keeping none:
// the heap it keeps per user (eachdesired-B/user) is the groups' members
// and the skips.
func BenchmarkBuildEach(b *testing.B) {
	csv := benchSource(b)
	verified, _ := provision.VerifiedDomains(provisiontest.Domain)
	src, err := provision.ReadSource(bytes.NewReader(csv), "users.csv", provision.FormatAuto)
	if err != nil {
		b.Fatal(err)
	}
	each := func(*provision.DesiredUser) error { return nil }
	before := heap()
	d, err := provision.BuildEach(src, provision.DefaultMapping(), nil, verified, each)
	if err != nil {
		b.Fatal(err)
	}
	after := heap()
	runtime.KeepAlive(d)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := provision.BuildEach(src, provision.DefaultMapping(), nil, verified, each); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchUsers, "ns/user")
	b.ReportMetric(float64(after-before)/benchUsers, "eachdesired-B/user")
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
