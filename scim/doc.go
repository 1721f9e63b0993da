// Package scim is a SCIM 2.0 client (RFC 7643, RFC 7644) for provisioning
// users and groups the way Microsoft Entra ID's provisioning service does,
// with requests that strict servers accept.
//
// # Connecting
//
// The caller fills a [Config] (the package reads no flags, environment or
// files, except Config.CAFile) and calls [New], which checks it and sends
// nothing:
//
//	c, err := scim.New(scim.Config{
//		URL:       "https://scim.example.com/scim/v2",
//		Token:     scim.NewToken(os.Getenv("ORGCTL_SCIM_TOKEN")),
//		UserAgent: "orgctl/" + version,
//		OnRequest: func(i scim.RequestInfo) { log.Printf("%s %s → %d (%s)", i.Method, i.Path, i.Status, i.Duration) },
//	})
//
// The URL must be https, except to a loopback host (127.0.0.0/8, ::1,
// localhost); plain http elsewhere is refused with an error naming the
// URL. TLS is always verified, against the system's roots plus the PEM
// certificates of Config.CAFile, or those only with Config.CAFileOnly.
// Redirects are not followed (they would resend the token): a 3xx is an
// error naming the Location. Proxies come from the environment
// (HTTPS_PROXY, NO_PROXY) as for any Go program.
//
// The token is a [Token]: it is sent only in the Authorization header, and
// printing a Config, a Client, an error or a [RequestInfo] never shows it
// (String, GoString and MarshalText redact it). A server that echoes it in
// an error body has it replaced by "[redacted]".
//
// Every request carries Content-Type and Accept application/scim+json and
// Config.UserAgent, and each attempt is bounded by Config.Timeout (60 s).
// All methods take a context; cancelling it stops a request and any wait
// between attempts.
//
// # Errors and exit codes
//
// A failed request is an [*Error]: Method, Path (no host, query or token),
// Status, SCIMType, Detail, Body (raw, truncated to 1 KiB, for servers
// that do not answer in SCIM's error schema), Attempts, and Err when there
// was no response at all. errors.Is matches the sentinels:
//
//	ErrUnauthorized        401, 403, and ErrNoToken from New  → exit 4
//	ErrNotFound            404; FindUser/FindGroup matched nothing
//	ErrConflict            409 (after CreateUser could not adopt)
//	ErrPreconditionFailed  412 (If-Match)
//	ErrRateLimited         429 that outlasted the retries
//	ErrPagination          a list that could not be read whole
//	ErrUnsupported         the server says it cannot PATCH
//	ErrInvalid             an empty id; a userName or displayName that CheckName refuses; nothing sent → exit 2
//	*AmbiguousError        a name that several resources hold (errors.As) → exit 2: use the id
//	context.Canceled       the caller cancelled                 → exit 130
//
// Every error from New is a configuration error (exit 2) except
// ErrNoToken. Anything else is "could not complete" (exit 1).
//
// # Retries
//
// 429 waits for Retry-After (seconds or an HTTP date), never less; a
// Retry-After over Retry.MaxRetryAfter (60 s) is not waited for: the
// request ends with the server's 429. Without one it backs off. 500, 502,
// 503 (Retry-After honoured too), 504, attempt timeouts, and connections
// reset, refused or closed without a response are retried with exponential
// backoff and full jitter: before attempt n+1 a delay drawn uniformly from
// [0, min(30 s, 500 ms·2^(n-1))], at most 5 attempts in all ([Retry]
// changes each number; Attempts 1 turns retries off). Other statuses, TLS
// and DNS failures fail at once. Tests replace the waiting with
// [WithSleep] and the clock with [WithClock].
//
// GET, PUT, DELETE and PATCH are retried as they are: the PATCH operations
// this package builds are idempotent. A DELETE that answers 404 after a
// retry succeeded on an earlier attempt and returns nil. A POST (create)
// is not idempotent: before sending it again after a timeout, a reset or
// a 5xx, the client looks for the resource (users by userName, then
// externalId; groups by externalId, then displayName) and adopts it when
// an earlier attempt made it after all; after a 429, which refuses the
// request, it sends it again without looking, so as not to add load to a
// server that is shedding it. A 409 is resolved the same way, at the
// first attempt too:
//
//	u, adopted, err := c.CreateUser(ctx, &scim.User{UserName: "ann@main.com", Active: &yes})
//	if adopted {
//		// u is the user the server already had: bring it up to date
//		u, err = c.PatchUser(ctx, u.ID, scim.DiffUser(u, want))
//	}
//
// [Client.EnsureUser] does both: create, or adopt and apply what want
// sets. [Client.EnsureGroup] looks before it creates (by externalId, then
// displayName without regard to case), since servers may let two groups
// share a displayName: running it twice never makes a duplicate.
//
// # Discovery
//
// [Client.Discover] reads /ServiceProviderConfig, /ResourceTypes and
// /Schemas once per Client and decides: PATCH is used unless the server
// says it is unsupported (then the PATCH methods return ErrUnsupported and
// the caller falls back to ReplaceUser or ReplaceGroup); meta.version is
// sent as If-Match on replace only when ETags are supported;
// filter.maxResults caps the page size; Bulk is reported, not used.
// Endpoints that answer 404, 405 or 501 are tolerated, with what was
// assumed instead in [Discovery].Notes. Methods that need it run it first.
//
// [Client.Test] is Entra's "Test Connection": discovery, then
// GET /Users?filter=userName eq "<random UUID>", which must answer 200 with
// an empty list (404 tolerated). It returns a [TestResult] even when it
// fails.
//
// # Users and groups
//
// [User] and [Group] carry the attributes orgctl maps (DESIGN.md §5) and
// keep every other attribute in Extra, so that a resource read and
// replaced loses nothing. Their JSON has "schemas" computed from the
// content: the enterprise extension's URN only when Enterprise is set.
// They are read leniently: attribute names in any case, active as a
// boolean or "True"/"False", counts as numbers or strings.
//
// Updates send only what changed. [DiffUser] compares two users and
// returns one [PatchOp] per changed attribute, lowercase ops, JSON
// booleans, enterprise attributes by their full URN path — never a
// path-less replace with dotted keys:
//
//	ops := scim.DiffUser(have, want)
//	// [{"op":"replace","path":"active","value":false},
//	//  {"op":"replace","path":"name.givenName","value":"Anne"},
//	//  {"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Research"}]
//	u, err := c.PatchUser(ctx, have.ID, ops) // no PATCH when ops is empty
//
// PatchUser returns the user as the server then has it, reading it back
// when the server answers 204 No Content.
//
// DiffUser treats every attribute it manages as managed: a string that
// want leaves empty is removed, so copy from have what the caller does not
// manage. [Client.DeactivateUser] sends replace active=false.
//
// Group membership changes read the members first and send only real
// changes (some servers hold a member twice when it is added again), and
// say what they did in [MemberChanges]: added or already members, removed
// or not members. They go in chunks of Config.MembersPerPatch (100):
// [Client.AddMembers] sends {"op":"add","path":"members","value":[{"value":id},…]},
// [Client.RemoveMembers] one {"op":"remove","path":"members[value eq \"id\"]"}
// per member with no value; [Client.RenameGroup] replaces displayName, and
// sends nothing when the group already has it. A failure says which chunk
// failed; earlier chunks stay applied.
//
// # Finding what people name
//
// [Client.ResolveUser] and [Client.ResolveGroup] take what a person types:
// an id, else a userName or displayName (without regard to case), else an
// externalId. None is ErrNotFound; a name that several resources hold is
// an [*AmbiguousError] listing their ids.
//
// # Lists and filters
//
// [Eq] builds an equality filter with the value escaped as a JSON string
// (`"` and `\`); queries encode spaces as %20. [Client.FindUser] and
// [Client.FindGroup] search by userName and displayName and check the
// results themselves, so a server that ignores filters cannot hand back
// the wrong resource; a 404 to a filtered query counts as no match.
//
// [Client.ListUsers] and [Client.ListGroups] read every page, and are
// built for servers that clamp count, misreport itemsPerPage or ignore
// startIndex: startIndex advances by the number of resources a page
// actually holds; the list ends at an empty page or when startIndex passes
// totalResults. A page of nothing but resources already read (startIndex
// ignored) ends it only when totalResults resources are in hand, and is
// otherwise ErrPagination, as is reading more than Config.MaxPages pages
// (10000). A partial list is never returned as if whole, since a sync that
// believed one would deactivate the users it missed. Offset paging cannot
// see a resource that moves between pages while the list is read.
package scim
