// An independent SCIM 2.0 service for orgctl's integration tests, run by internal/peertest (scimmy.go):
//
//	SCIM_TOKEN=secret node server.js PORT        (or PORT=… in the environment)
//
// scimmy (schemas, filter and PATCH parsing, list responses) and scimmy-routers (the Express routes)
// do the SCIM work; this file only stores Users and Groups in memory and works around the places where
// scimmy 1.3.5 falls short of RFC 7643/7644, so that orgctl's client never has to. Each workaround
// says which scimmy behaviour it addresses ("scimmy bug: …"). The service listens on 127.0.0.1 only,
// serves SCIM under /scim/v2, prints one "ready" line once it listens, logs one line per request,
// and exits with status 0 on SIGTERM or SIGINT.
//
// Observed in scimmy 1.3.5 and left as it is (clients must cope, as with other services):
//   - PATCH "value": "False" (a string) for a boolean is a 400 invalidValue ("Attribute 'active'
//     expected value type 'boolean' but found type 'string'"); op is accepted in any case ("Replace").
//   - A PATCH that changes nothing answers 204 without a body (RFC 7644 §3.5.2 allows it).
//   - No ETags and no meta.version (etag.supported false).
//   - scimmy turns the id in /Users/{id} into the filter id eq "{id}", so an id holding a double
//     quote is a 400 invalidFilter rather than a 404; ids issued here are UUIDs.
//   - PATCH path filters such as members[value eq "…"] are evaluated by scimmy itself: exact,
//     case-sensitive comparison, which suits the UUIDs that member values are.
//   - Without count a page holds 20 resources.
//
// For the tests that read the whole state (peertest's SCIMMY.State), GET /__state (outside the SCIM
// base, with the same bearer token) answers {users, groups, stats}: the resources as stored, in
// creation order, and the requests counted since the start or the last DELETE /__stats.

import {createHash, randomUUID, timingSafeEqual} from "node:crypto";
import express from "express";
import SCIMMYRouters, {SCIMMY} from "scimmy-routers";

const port = Number(process.argv[2] ?? process.env.PORT);
const token = process.env.SCIM_TOKEN ?? "";
if (!Number.isInteger(port) || port < 1 || port > 65535 || token === "") {
    console.error("usage: SCIM_TOKEN=token node server.js PORT");
    process.exit(2);
}
const origin = `http://127.0.0.1:${port}`;
const mount = "/scim/v2";
// maxResults is announced in ServiceProviderConfig and caps count, which scimmy does not do itself
// (RFC 7644 §3.4.2.4 lets a service return fewer results than asked for).
const maxResults = 200;

const {Error: SCIMError} = SCIMMY.Types;

// Resources by id. A Map iterates in insertion order and keeps an entry's place when it is
// replaced, so lists come out in creation order and paging is stable.
const users = new Map();
const groups = new Map();
// seq numbers resources in the order of creation, to put index hits in list order.
const seq = new Map();
let nextSeq = 0;

// Index maps the values of one attribute (case-folded unless caseExact) to the ids holding them, so
// that the lookups a provisioning client sends for every user (userName eq "…") and the uniqueness
// check of userName cost no scan of thousands of resources.
class Index {
    constructor(attr, fold) {
        this.attr = attr;
        this.fold = fold;
        this.ids = new Map();
    }
    key(v) {
        return this.fold ? v.toLowerCase() : v;
    }
    get(v) {
        return typeof v === "string" ? this.ids.get(this.key(v)) ?? new Set() : new Set();
    }
    add(r) {
        const v = r?.[this.attr];
        if (typeof v !== "string") return;
        if (!this.ids.has(this.key(v))) this.ids.set(this.key(v), new Set());
        this.ids.get(this.key(v)).add(r.id);
    }
    drop(r) {
        const v = r?.[this.attr];
        if (typeof v !== "string") return;
        const ids = this.ids.get(this.key(v));
        ids?.delete(r.id);
        if (ids?.size === 0) this.ids.delete(this.key(v));
    }
}

// indexes lists each map's indexes by the lower-cased attribute name that filters use.
const indexes = new Map([
    [users, new Map([["username", new Index("userName", true)], ["externalid", new Index("externalId", false)]])],
    [groups, new Map([["displayname", new Index("displayName", true)], ["externalid", new Index("externalId", false)]])],
]);

// put stores (or, with record undefined, deletes) the resource id of map and keeps the indexes.
function put(map, id, record) {
    const old = map.get(id);
    for (const x of indexes.get(map).values()) {
        x.drop(old);
        x.add(record);
    }
    if (record === undefined) {
        seq.delete(id);
        return map.delete(id);
    }
    if (!seq.has(id)) seq.set(id, nextSeq++);
    map.set(id, record);
    return true;
}

const notFound = (id) => {
    throw new SCIMError(404, null, `Resource ${id} not found`);
};

// ---- Users -------------------------------------------------------------------------------------

const User = SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false));

User.ingress((resource, data, ctx) => {
    const old = resource.id === undefined ? undefined : users.get(resource.id) ?? notFound(resource.id);
    const attrs = plain(data);
    // userName is unique and compared case-insensitively (RFC 7643 §4.1.1: caseExact false,
    // uniqueness server); scimmy leaves uniqueness to the service.
    if ([...indexes.get(users).get("username").get(attrs.userName)].some((id) => id !== old?.id))
        throw new SCIMError(409, "uniqueness", `userName ${JSON.stringify(attrs.userName)} is already taken`);
    return store(users, "User", old, attrs, ctx);
});

User.egress((resource, ctx) => find(users, User, resource, ctx, (u) => u));

User.degress((resource) => {
    if (!put(users, resource.id, undefined)) notFound(resource.id);
    dropMember(resource.id);
});

// ---- Groups ------------------------------------------------------------------------------------

const Group = SCIMMY.Resources.declare(SCIMMY.Resources.Group);

Group.ingress((resource, data, ctx) => {
    const old = resource.id === undefined ? undefined : groups.get(resource.id) ?? notFound(resource.id);
    const attrs = plain(data);
    // Members are stored as {value, type} only, once each (scimmy's PATCH "add" appends a member
    // that is already there a second time); display and $ref are rendered on the way out.
    const seen = new Set();
    const members = [];
    for (const {value} of attrs.members ?? []) {
        if (seen.has(value)) continue;
        seen.add(value);
        if (users.has(value)) members.push({value, type: "User"});
        else if (groups.has(value)) members.push({value, type: "Group"});
        else throw new SCIMError(400, "invalidValue", `member ${JSON.stringify(value)} is no User or Group of this service`);
    }
    delete attrs.members;
    if (members.length > 0) attrs.members = members;
    return renderGroup(store(groups, "Group", old, attrs, ctx));
});

Group.egress((resource, ctx) => find(groups, Group, resource, ctx, renderGroup));

Group.degress((resource) => {
    if (!put(groups, resource.id, undefined)) notFound(resource.id);
    dropMember(resource.id);
});

// renderGroup returns a copy of a stored group with each member's display and $ref.
function renderGroup(g) {
    const members = g.members?.map(({value, type}) => {
        const m = (type === "User" ? users : groups).get(value);
        return {value, display: m?.displayName ?? m?.userName, $ref: `${origin}${mount}/${type}s/${value}`, type};
    });
    return {...g, ...(members ? {members} : {})};
}

// dropMember removes a deleted user or group from every group, as a real directory does.
function dropMember(id) {
    for (const g of groups.values()) {
        if (g.members?.some((m) => m.value === id)) {
            const members = g.members.filter((m) => m.value !== id);
            put(groups, g.id, {...g, members: members.length ? members : undefined, meta: {...g.meta, lastModified: now()}});
        }
    }
}

// ---- Storage -----------------------------------------------------------------------------------

// plain turns a scimmy schema instance into plain JSON attributes, without id and meta.
function plain(data) {
    const {id, meta, ...attrs} = JSON.parse(JSON.stringify(data));
    return attrs;
}

const now = () => new Date().toISOString();

// store saves attrs as a new resource (old undefined) or as the new state of old, and returns the
// stored resource. A write that changes nothing keeps lastModified.
function store(map, resourceType, old, attrs, ctx) {
    const id = old?.id ?? randomUUID();
    if (old && JSON.stringify({...old, id: undefined, meta: undefined}) === JSON.stringify(attrs)) return old;
    const record = {...attrs, id, meta: {resourceType, created: old?.meta.created ?? now(), lastModified: now()}};
    put(map, id, record);
    // scimmy bug (scimmy-routers): a 201 Created carries no Location header, which RFC 7644 §3.3
    // requires; meta.location is set. ctx.created is there for a POST to /Users or /Groups only.
    if (!old) ctx?.created?.(`${origin}${mount}/${resourceType}s/${id}`);
    return record;
}

// find answers the egress handlers: the resource with resource.id, or the resources that match the
// filter, in creation order. scimmy turns every resource egress returns into a schema instance before
// paging, which takes tens of milliseconds with thousands of users; so unless the list is sorted,
// find returns only the page asked for and tells ListResponse (below) the total. An eq test of an
// indexed attribute in every "or" branch narrows the resources to test to the index's hits.
function find(map, Resource, resource, ctx, render) {
    if (resource.id !== undefined) return render(map.get(resource.id) ?? notFound(resource.id));
    let records = candidates(map, resource.filter, ctx?.literals);
    if (resource.filter) {
        const {definition} = Resource.schema;
        records = records.filter((r) => resource.filter.some((branch) => test(definition, [], render(r), branch, ctx?.literals)));
    }
    const constraints = resource.constraints ?? {};
    if (constraints.sortBy !== undefined) return records.map(render);
    const from = Math.max(Number(constraints.startIndex ?? 1), 1) - 1;
    const page = records.slice(from, from + Math.max(Number(constraints.count ?? 20), 0));
    resource.constraints = {...constraints, startIndex: from + 1, totalResults: records.length, paged: true};
    return page.map(render);
}

// candidates returns the stored resources that may match filter, in creation order: the hits of
// an index when each "or" branch has an eq test of an indexed attribute, else all of them.
function candidates(map, filter, literals) {
    if (!filter) return [...map.values()];
    const ids = new Set();
    for (const branch of filter) {
        const hit = Object.entries(branch).find(([name, e]) =>
            indexes.get(map).has(name.toLowerCase()) && Array.isArray(e) && e.length === 2 &&
            String(e[0]).toLowerCase() === "eq" && typeof unhide(e[1], literals) === "string");
        if (!hit) return [...map.values()];
        const [name, [, raw]] = hit;
        for (const id of indexes.get(map).get(name.toLowerCase()).get(unhide(raw, literals))) ids.add(id);
    }
    return [...ids].sort((a, b) => seq.get(a) - seq.get(b)).map((id) => map.get(id));
}

// ---- Filters -----------------------------------------------------------------------------------
//
// scimmy bug: Types.Filter#match (what scimmy offers egress handlers for filtering)
//   - throws a TypeError, a 400 to the client, when a resource lacks a complex attribute that the
//     filter looks into (name.familyName eq "x" on a user without name);
//   - compares strings case-sensitively even where the schema says caseExact false, so
//     userName eq "ALICE" misses "alice" (RFC 7643 §2.2, §4.1.1);
//   - never finds an attribute named with its schema URN, such as
//     urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department.
// The service therefore evaluates scimmy's parsed filter (an array of "or" branches, each an object
// of attribute → comparison(s) or nested object) itself, on the resource as the client sees it,
// folding case where scimmy's own schema definition says caseExact is false.

// test reports whether value, found at attribute path, satisfies expr: a nested object (sub-attributes
// of a complex or multi-valued attribute, which one element must satisfy together), a comparison
// [not?, op, expected], or a list of those that must all hold.
function test(definition, path, value, expr, literals) {
    if (!Array.isArray(expr)) {
        // A missing complex attribute is an empty one: it matches "not pr", never "eq".
        const items = [value ?? {}].flat().filter((v) => v !== null && typeof v === "object");
        return items.some((item) => Object.entries(expr).every(([name, e]) =>
            test(definition, [...path, name], lookup(item, name, definition.id), e, literals)));
    }
    if (expr.some((e) => e !== null && typeof e === "object"))
        return expr.every((e) => test(definition, path, value, e, literals));
    return compare(value, expr, !caseExact(definition, path), literals);
}

// lookup returns obj's attribute name, compared case-insensitively (RFC 7643 §2.1), where name may
// carry a schema URN: the core schema's ("urn:…:core:2.0:User:userName") or an extension's.
function lookup(obj, name, coreSchema) {
    const get = (o, n) => {
        const key = Object.keys(o ?? {}).find((k) => k.toLowerCase() === n.toLowerCase());
        return key === undefined ? undefined : o[key];
    };
    const direct = get(obj, name);
    const colon = name.lastIndexOf(":");
    if (direct !== undefined || colon < 0) return direct;
    const [schema, attr] = [name.slice(0, colon), name.slice(colon + 1)];
    return get(schema.toLowerCase() === coreSchema.toLowerCase() ? obj : get(obj, schema), attr);
}

// caseExact reports whether scimmy's schema definition marks the attribute at path caseExact.
function caseExact(definition, path) {
    try {
        return definition.attribute(path.join(".")).config.caseExact === true;
    } catch {
        return false; // not in the schema: compared like the RFC's default, case-insensitively
    }
}

// compare applies one comparison to an attribute's value. A multi-valued attribute matches when one
// of its values does; the value of a complex one is its "value" sub-attribute (RFC 7644 §3.4.2.2).
function compare(value, comparison, fold, literals) {
    const negate = String(comparison[0]).toLowerCase() === "not";
    const [op, raw] = comparison.slice(negate ? 1 : 0);
    const values = [value].flat().map((v) => (v !== null && typeof v === "object" && !(v instanceof Date) ? v.value : v));
    const norm = (v) => {
        if (v instanceof Date) v = v.toISOString();
        return fold && typeof v === "string" ? v.toLowerCase() : v;
    };
    const expected = norm(unhide(raw, literals));
    let result;
    switch (op.toLowerCase()) {
        case "pr": result = values.some(present); break;
        case "np": result = !values.some(present); break;
        default: result = values.map(norm).some((v) => {
            // Entra ID sends active eq "True": a boolean attribute compares with "true"/"false",
            // as in scimmy.
            const boolish = typeof v === "boolean" && typeof expected === "string" && /^(true|false)$/i.test(expected);
            return order(op.toLowerCase(), v, boolish ? expected.toLowerCase() === "true" : expected);
        });
    }
    return negate ? !result : result;
}

const present = (v) => v !== undefined && v !== null && v !== "";

// order applies the comparison operator op to an actual value v and the expected value e.
function order(op, v, e) {
    const dates = typeof v === "string" && typeof e === "string" && isoDate.test(v) && isoDate.test(e);
    const [a, b] = dates ? [Date.parse(v), Date.parse(e)] : [v, e];
    switch (op) {
        case "eq": return e === null ? !present(v) : a === b;
        case "ne": return e === null ? present(v) : a !== b;
        case "co": return typeof v === "string" && v.includes(e);
        case "sw": return typeof v === "string" && v.startsWith(e);
        case "ew": return typeof v === "string" && v.endsWith(e);
        case "gt": return typeof a === typeof b && a > b;
        case "ge": return typeof a === typeof b && a >= b;
        case "lt": return typeof a === typeof b && a < b;
        case "le": return typeof a === typeof b && a <= b;
        default: return false;
    }
}
const isoDate = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

// scimmy bug: its filter tokenizer ends a string literal at the first double quote even when it is
// escaped (userName eq "a\"b" is a 400 "Unexpected token"), keeps escapes such as \\ and \u00e9 as
// they are, and ends a [...] or (...) group at the first "]" or ")" even inside a literal. Before
// scimmy parses a filter, each literal becomes a placeholder ("#0", "#1", …), and its value, decoded
// as the JSON string that RFC 7644 §3.4.2.2 makes it, is kept for the egress handler.
function hideLiterals(filter) {
    const literals = [];
    try {
        const hidden = filter.replace(/"(?:[^"\\]|\\.)*"/g, (lit) => `"#${literals.push(JSON.parse(lit)) - 1}"`);
        return {filter: hidden, literals};
    } catch {
        return {filter, literals: []}; // not valid JSON strings: leave it to scimmy to reject
    }
}

function unhide(expected, literals) {
    const m = typeof expected === "string" && /^#(\d+)$/.exec(expected);
    return m && literals?.[m[1]] !== undefined ? literals[m[1]] : expected;
}

// ---- Paging ------------------------------------------------------------------------------------

// scimmy bug: ListResponse skips to startIndex only when startIndex is within the results, so a
// startIndex past the last result returns the first page again (a client paging until it sees an
// empty page never stops); and it sets itemsPerPage to the count asked for, not to the number of
// resources in the page (RFC 7644 §3.4.2). This ListResponse sorts as scimmy does, then pages.
// resources.js looks ListResponse up on SCIMMY.Messages at each call, so replacing it there is enough.
class ListResponse extends SCIMMY.Messages.ListResponse {
    constructor(request = [], params = {}) {
        if (!Array.isArray(request)) {
            super(request, params); // a list response being read, not written: as scimmy does
            return;
        }
        if (params.paged) {
            // find paged the list already.
            const {paged, ...rest} = params;
            super(request, {...rest, startIndex: 1, count: request.length, itemsPerPage: request.length});
            this.startIndex = params.startIndex;
            return;
        }
        const {startIndex = 1, count = 20, itemsPerPage = count} = params;
        super(request, {...params, startIndex: 1, count: request.length, itemsPerPage: request.length});
        const from = Math.max(Number(startIndex), 1) - 1;
        this.Resources = this.Resources.slice(from, from + Math.max(Number(itemsPerPage), 0));
        this.startIndex = from + 1;
        this.itemsPerPage = this.Resources.length;
    }
}
SCIMMY.Messages.ListResponse = ListResponse;

// ---- HTTP --------------------------------------------------------------------------------------

const tokenDigest = createHash("sha256").update(token).digest();

// admit is scimmy-routers' authentication handler: it runs for every request after the body is
// parsed and before any route, and a throw becomes a 401 SCIM error. Once the bearer token is
// right it also prepares the request for scimmy (see prepare).
function admit(req) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get("Authorization") ?? "");
    const given = createHash("sha256").update(m ? m[1] : "").digest();
    if (!m || !timingSafeEqual(given, tokenDigest)) {
        req.res.set("WWW-Authenticate", 'Bearer realm="scim"'); // RFC 6750 §3
        throw new Error(m ? "The bearer token is not valid" : "A bearer token is required");
    }
    prepare(req);
}

function prepare(req) {
    // scimmy bug (scimmy-routers): under Express 5 req.query is a getter that parses the URL anew
    // on each access, so the routers' conversion of startIndex and count to numbers is lost and
    // paging ignores them. Express is pinned to 4, and req.query is made a plain writable object
    // all the same, since the filter is rewritten below.
    Object.defineProperty(req, "query", {value: {...req.query}, writable: true, enumerable: true, configurable: true});
    // The filter of a GET, or of a POST …/.search body.
    const params = req.method === "POST" && route(req).endsWith("/.search") && req.body instanceof Object ? req.body : req.query;
    if (typeof params.filter === "string") {
        const {filter, literals} = hideLiterals(params.filter);
        params.filter = filter;
        req.filterLiterals = literals;
    }
    if (Number(params.count) > maxResults)
        params.count = typeof params.count === "number" ? maxResults : String(maxResults);
}

// route returns the request's path below /scim/v2, wherever in the routers it is asked.
const route = (req) => (req.baseUrl + req.path).slice(mount.length);

// ---- Test inspection ---------------------------------------------------------------------------

// stats counts the SCIM requests, as scimtest.Stats does for the in-process service: by method, by
// endpoint ("PATCH /Groups/{id}"), by status, and reads and writes of /Users and /Groups.
let stats = newStats();

function newStats() {
    return {Requests: 0, Reads: 0, Writes: 0, Faulted: 0, ByMethod: {}, ByEndpoint: {}, ByStatus: {}};
}

function count(method, path, status) {
    const inc = (o, k) => (o[k] = (o[k] ?? 0) + 1);
    stats.Requests++;
    inc(stats.ByMethod, method);
    inc(stats.ByStatus, status);
    const m = /^\/(Users|Groups|ServiceProviderConfig|ResourceTypes|Schemas|Bulk)(\/[^/]+)?\/?$/.exec(path.startsWith(mount) ? path.slice(mount.length) : "");
    inc(stats.ByEndpoint, `${method} ${m ? `/${m[1]}${m[2] ? "/{id}" : ""}` : "other"}`);
    if (m && (m[1] === "Users" || m[1] === "Groups")) {
        if (method === "GET") stats.Reads++;
        else if (["POST", "PUT", "PATCH", "DELETE"].includes(method)) stats.Writes++;
    }
}

// inspect serves GET /__state and DELETE /__stats to holders of the token; they are not counted.
function inspect(req, res) {
    try {
        admit(req);
    } catch (err) {
        return res.status(401).json({detail: err.message});
    }
    if (req.path === "/__state") return res.json({users: [...users.values()], groups: [...groups.values()].map(renderGroup), stats});
    stats = newStats();
    res.status(204).end();
}

const app = express();
app.disable("x-powered-by");
// Express would send a weak ETag with each response and answer If-None-Match with 304, while the
// service announces etag.supported false (scimmy keeps no meta.version).
app.set("etag", false);
app.get("/__state", inspect);
app.delete("/__stats", inspect);
app.use((req, res, next) => {
    res.on("finish", () => {
        count(req.method, new URL(req.originalUrl, origin).pathname, res.statusCode);
        console.log(`${req.method} ${req.originalUrl} ${res.statusCode}`);
    });
    next();
});
app.use(mount, new SCIMMYRouters({
    type: "bearer",
    handler: admit,
    context: (req) => ({
        literals: req.filterLiterals,
        created: req.method === "POST" && /^\/(Users|Groups)\/?$/.test(route(req)) ? (url) => req.res.location(url) : undefined,
    }),
    baseUri: () => origin,
}));
// After the routers, which set patch, filter, sort and bulk to supported.
SCIMMY.Config.set({filter: {supported: true, maxResults}});

const server = app.listen(port, "127.0.0.1", () => console.log(`scimmy: ready on ${origin}${mount}`));
server.on("error", (err) => {
    console.error(`scimmy: listen on 127.0.0.1:${port}: ${err.code ?? ""} ${err.message}`);
    process.exit(1);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        server.close(() => process.exit(0));
        server.closeAllConnections();
    });
}
