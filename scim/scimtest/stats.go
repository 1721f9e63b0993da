package scimtest

import (
	"net/http"
	"strings"
)

// Stats counts the requests a Handler received: every request, exempt
// and faulted ones included, once its outcome is known.
type Stats struct {
	// Requests is the number of requests.
	Requests int
	// Reads counts GETs of /Users and /Groups, of one resource or a list.
	Reads int
	// Writes counts POSTs, PUTs, PATCHes and DELETEs of /Users and
	// /Groups, whether they succeeded or not.
	Writes int
	// Faulted counts the requests a fault switch hit (Request.Fault).
	Faulted int
	// ByMethod counts requests by HTTP method: "GET", "POST", ….
	ByMethod map[string]int
	// ByEndpoint counts requests by method and endpoint: "GET /Users" (a
	// list or a filter), "GET /Users/{id}", "POST /Groups", "PATCH
	// /Groups/{id}", "GET /ServiceProviderConfig", "GET /Schemas/{id}";
	// "GET other" for paths that are no endpoint.
	ByEndpoint map[string]int
	// ByStatus counts requests by response status; 0 for those answered
	// by a reset (a "reset-after-apply" request counts under the status
	// its lost response had).
	ByStatus map[int]int
}

// count adds the request r to the counts.
func (st *Stats) count(r Request) {
	if st.ByMethod == nil {
		st.ByMethod, st.ByEndpoint, st.ByStatus = map[string]int{}, map[string]int{}, map[int]int{}
	}
	st.Requests++
	st.ByMethod[r.Method]++
	ep, resource := endpointOf(r.Path)
	st.ByEndpoint[r.Method+" "+ep]++
	st.ByStatus[r.Status]++
	if r.Fault != "" {
		st.Faulted++
	}
	if !resource {
		return
	}
	switch r.Method {
	case http.MethodGet:
		st.Reads++
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		st.Writes++
	}
}

// endpointOf names the endpoint of a request path, with "{id}" for the
// id, and reports whether it is a resource endpoint (/Users or /Groups).
func endpointOf(path string) (string, bool) {
	rel, ok := strings.CutPrefix(path, BasePath)
	if !ok || (rel != "" && rel[0] != '/') {
		return "other", false
	}
	name, id, _ := strings.Cut(strings.Trim(rel, "/"), "/")
	switch name {
	case "Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Bulk":
	default:
		return "other", false
	}
	ep := "/" + name
	if id != "" {
		ep += "/{id}"
	}
	return ep, name == "Users" || name == "Groups"
}
