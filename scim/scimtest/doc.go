// Package scimtest is an in-process SCIM 2.0 service provider (RFC 7643,
// RFC 7644) with fault switches and a request log, the way
// net/http/httptest serves handlers. It backs the tests of orgctl's SCIM
// client and is the SCIM endpoint of `orgctl sandbox`.
//
// # Starting a server in a test
//
// Start serves on 127.0.0.1 and closes the server when the test ends;
// Server.URL is the base URL, ending in /scim/v2:
//
//	func TestSync(t *testing.T) {
//		srv := scimtest.Start(t, scimtest.Options{Token: "t0ken"})
//		srv.AddUser(map[string]any{"userName": "alice@example.com"})
//		// ... point the client at srv.URL with the token, run it ...
//		for _, r := range srv.Requests() {
//			t.Logf("%s %s?%s → %d\n%s", r.Method, r.Path, r.RawQuery, r.Status, r.Body)
//		}
//		users := srv.Users() // what the server holds now, as GET serves it
//	}
//
// AddUser and AddGroup seed resources as a POST would (an "id" in the map is
// kept, for fixtures with known ids); Users and Groups return copies, in
// the order of creation. Requests returns every request received, with its
// body byte for byte and the status answered (0: none), so that tests can
// assert exactly what a client sent. Outside tests, NewServer and Close do
// the same as Start.
//
// # What the server answers
//
// Without options the server is a correct and strict service provider (see
// "Strict by default" below):
//
//   - GET /ServiceProviderConfig: patch supported; bulk, sort, changePassword
//     and etag not; filter supported with maxResults the page size limit;
//     authentication by oauthbearertoken. GET /ResourceTypes (User, with the
//     enterprise extension, and Group) and GET /Schemas (core User,
//     EnterpriseUser, Group) publish the attribute definitions the server
//     enforces. A filter on these endpoints answers 403 (RFC 7644 §4).
//   - POST /Users, /Groups: 201 with the resource, meta.location and a
//     Location header. userName is unique without regard to case: 409
//     uniqueness. A group's displayName need not be unique, nor an
//     externalId: a create sent twice makes two groups, as on real
//     services.
//   - GET /Users/{id}: 200; PUT: 200, the attributes replaced, id and
//     meta.created kept; a PUT without active makes the user active again
//     (the default). DELETE: 204. An unknown id: 404.
//   - PATCH /Users/{id}: 200 with the resource. PATCH /Groups/{id}: 204
//     without a body, or 200 with the attributes asked for when the request
//     has an attributes parameter (RFC 7644 §3.5.2). A PATCH is atomic, and
//     one that changes nothing leaves meta.lastModified alone.
//   - Bodies must be JSON objects sent as application/scim+json or
//     application/json (else 415); malformed JSON is 400 invalidSyntax.
//     Every response is application/scim+json; errors are SCIM error
//     messages with the status as a string ("404") and a scimType where
//     RFC 7644 §3.12 has one.
//   - /Bulk answers 501.
//
// Resources are checked against the schemas: attribute names ignore case
// and come back spelled as the schema spells them; an unknown attribute is
// 400 invalidSyntax (a department outside the enterprise extension object
// is caught); a value of the wrong type is 400 invalidValue, and in POST and
// PUT a boolean must be a JSON boolean. active defaults to true. Read-only
// attributes sent by the client (id, meta, groups) are ignored; password is
// stored but never returned. "schemas" must list the core schema, and the
// server lists the enterprise extension when the user has data for it.
// Group members must be existing users or groups (else 400 invalidValue);
// repeated members are kept once; the server sets each member's type and
// $ref. Deleting a user or group takes it out of every group. Users carry
// the computed, read-only groups attribute.
//
// # Filters and paging
//
// Filters follow RFC 7644 §3.4.2.2: eq ne co sw ew gt ge lt le pr, and, or,
// not, parentheses, and value filters such as emails[type eq "work"], on
// any attribute, including the enterprise extension's by URN
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").
// Strings compare according to the attribute's caseExact (userName,
// displayName and emails.value ignore case; id and externalId do not).
// String literals are JSON strings: userName eq "a\"b\\c" finds a"b\c. A
// boolean attribute takes true or false, not "true". Anything else, and an
// unknown attribute, is 400 invalidFilter. The attributes and
// excludedAttributes parameters are honoured.
//
// Lists are served in the order of creation. startIndex is 1-based (below 1
// means 1); count defaults to 100 and is capped at 200 (Options.MaxCount
// changes the cap), a negative count means 0; itemsPerPage is the number of
// resources returned. A client should move on by the number of resources
// it got, and stop at totalResults.
//
// # Faults
//
// Options switch on the faults a client must survive: TooManyEvery (429
// with Retry-After: RetryAfter seconds or date, or RetryAfterIn as an HTTP
// date), FailEvery (FailStatus, default 503, with a SCIM error body),
// ResetEvery (the connection is reset before the request is carried out),
// ResetAfterApplyEvery (the request is carried out, then the connection is
// reset: the answer is lost), GoneAfter (after N requests every request is
// reset: the service went away), Latency, and the paging faults MaxCount,
// MisreportItemsPerPage and IgnoreStartIndex, plus NotFoundOnEmptyFilter
// (404 instead of an empty list, as some providers answer Entra's test
// connection).
//
// The "every Nth" switches share one count: every request counts, whatever
// its method, path (except ExemptPaths) and outcome, starting from 1 at
// NewServer and at each SetOptions; request N is faulted when N is a
// multiple of the switch. If several are due, ResetEvery wins, then
// TooManyEvery, FailEvery and ResetAfterApplyEvery. Faults come before
// authentication, and a faulted request changes nothing, except under
// ResetAfterApplyEvery. Exempt paths, such as "/ServiceProviderConfig",
// keep discovery out of the count, so that a test can say "the third write
// fails". Everything is decided by the count, so a run with one client at
// a time is the same run every time; with several, which request gets the
// fault depends on their order.
//
// Go's http.Transport resends a GET (not a POST) once, by itself, when a
// connection it reused is reset before any response: a ResetEvery fault on
// a GET can reach the client as the next request's answer, and that retry
// counts as a request.
//
// # Strict by default
//
// PATCH refuses what RFC 7644 does not allow but lenient services, and
// Entra ID, use: a capitalised op ("Replace"), a string for a boolean
// ("False"), a remove with a value (members must be removed by path:
// members[value eq "…"]), and a path-less add or replace with a path as a
// key ("name.givenName"). All four answer 400 (invalidSyntax, or
// invalidValue for the boolean), as strict services do, so that a client
// that sends them fails here first. `orgctl sandbox` serves this default.
// Options.Lax accepts them one by one, for a test that imitates a named
// lenient service: LaxSCIMMY() is scimmy's set (ops in any case, dotted
// keys, remove with a value; not string booleans). Under Lax, ops ignore
// case, "true" and "false" strings become booleans, and a remove with a
// value removes just those values. DuplicateMemberOnAdd imitates services
// built on elimity-com/scim, where adding a member already in a group
// lists it twice.
//
// # Inspection
//
// Users and Groups return what the server holds, directly, without HTTP;
// Duplicates lists users or groups sharing an externalId, groups sharing a
// displayName, and members a group lists twice, so that a test can assert
// an exact end state with no duplicates. Stats counts the requests by
// method, by endpoint ("PATCH /Groups/{id}"), reads and writes, faults and
// status, without limit; ResetStats starts the counts again, for "a re-run
// writes nothing":
//
//	srv.ResetStats()
//	// ... run the sync again ...
//	if st := srv.Stats(); st.Writes != 0 {
//		t.Errorf("re-run wrote %d times: %v", st.Writes, st.ByEndpoint)
//	}
//	if d := srv.Duplicates(); len(d) > 0 {
//		t.Errorf("duplicates: %+v", d)
//	}
//
// Creates, lookups by id, and eq filters on userName, externalId or (for
// groups) displayName, alone or and-ed with other tests, cost the same
// with 100,000 users as with ten; so does a page of an unfiltered list.
// Other filters scan.
//
// Other PATCH rules: add and replace of a complex attribute merge its
// sub-attributes; replace through a value filter that matches nothing is
// 400 noTarget, while add through an eq filter creates the value it
// describes (add emails[type eq "work"].value makes a work email); remove
// through a filter that matches nothing changes nothing, so retries are
// safe; setting a value primary clears primary on the others; read-only
// attributes are 400 mutability.
//
// # Serving it yourself
//
// NewHandler returns the service as an http.Handler for the paths under
// BasePath, for a server of one's own, such as the sandbox's:
//
//	h := scimtest.NewHandler(scimtest.Options{Token: token})
//	mux.Handle(scimtest.BasePath+"/", h)
//
// Locations then follow the Host of each request. Handler and Server are
// safe for concurrent use; each write is atomic, and the request log keeps
// the latest few thousand requests.
package scimtest
