// Command nullscim is a SCIM service that accepts every write and keeps
// nothing: a create answers with the posted resource and a new id, a list
// or a lookup answers empty, a group's members are none, and a PATCH
// answers 204. It is the target of the memory benchmark of
// scripts/bench-sync.sh, which measures the client's peak RSS over a sync
// of a million users: a real service would take minutes and gigabytes to
// hold them, and the client's memory does not depend on what the service
// keeps. It prints its base URL on stdout and serves until killed.
//
//	go run ./provision/provisiontest/nullscim -listen 127.0.0.1:0
package main

import (
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback)")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nullscim:", err)
		os.Exit(1)
	}
	var writes atomic.Int64
	fmt.Printf("http://%s/scim/v2\n", ln.Addr())
	os.Stdout.Sync()
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, &writes)
	}))
	fmt.Fprintln(os.Stderr, "nullscim:", err)
	os.Exit(1)
}

const listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

func handle(w http.ResponseWriter, r *http.Request, writes *atomic.Int64) {
	w.Header().Set("Content-Type", "application/scim+json")
	path := strings.TrimPrefix(r.URL.Path, "/scim/v2")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 1:
		writes.Add(1)
		var res map[string]any
		if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res["id"] = newID()
		res["meta"] = map[string]any{"resourceType": strings.TrimSuffix(parts[0], "s")}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(res)
	case r.Method == http.MethodGet && len(parts) == 1:
		_ = json.NewEncoder(w).Encode(map[string]any{"schemas": []string{listSchema}, "totalResults": 0, "Resources": []any{}, "startIndex": 1, "itemsPerPage": 0})
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "Groups":
		_ = json.NewEncoder(w).Encode(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "id": parts[1], "displayName": "", "members": []any{}})
	case r.Method == http.MethodPatch || r.Method == http.MethodDelete:
		writes.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
