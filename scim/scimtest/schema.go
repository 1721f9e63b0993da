package scimtest

import "strings"

// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3).
const (
	SchemaUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaGroup          = "urn:ietf:params:scim:schemas:core:2.0:Group"

	schemaSPConfig     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	schemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"

	msgListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	msgError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	msgPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// attr is an attribute definition as /Schemas publishes it (RFC 7643 §7).
// The same definitions drive validation, filters, PATCH paths and
// projections, so what the server advertises is what it enforces.
type attr struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	MultiValued     bool     `json:"multiValued"`
	Description     string   `json:"description"`
	Required        bool     `json:"required"`
	CaseExact       bool     `json:"caseExact"`
	Mutability      string   `json:"mutability"`
	Returned        string   `json:"returned"`
	Uniqueness      string   `json:"uniqueness"`
	CanonicalValues []string `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string `json:"referenceTypes,omitempty"`
	SubAttributes   []*attr  `json:"subAttributes,omitempty"`
}

func newAttr(name, typ, desc string) *attr {
	return &attr{Name: name, Type: typ, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func str(name, desc string) *attr      { return newAttr(name, "string", desc) }
func boolean(name, desc string) *attr  { return newAttr(name, "boolean", desc) }
func dateTime(name, desc string) *attr { return newAttr(name, "dateTime", desc) }
func ref(name, desc string, types ...string) *attr {
	a := newAttr(name, "reference", desc)
	a.ReferenceTypes = types
	a.CaseExact = true // RFC 7643 §2.3.7
	return a
}

func complexAttr(name, desc string, subs ...*attr) *attr {
	a := newAttr(name, "complex", desc)
	a.SubAttributes = subs
	return a
}

func (a *attr) multi() *attr                { a.MultiValued = true; return a }
func (a *attr) required() *attr             { a.Required = true; return a }
func (a *attr) exact() *attr                { a.CaseExact = true; return a }
func (a *attr) mutability(m string) *attr   { a.Mutability = m; return a }
func (a *attr) returned(r string) *attr     { a.Returned = r; return a }
func (a *attr) unique() *attr               { a.Uniqueness = "server"; return a }
func (a *attr) canonical(v ...string) *attr { a.CanonicalValues = v; return a }

// readOnly marks a and its sub-attributes read-only.
func (a *attr) readOnly() *attr {
	a.Mutability = "readOnly"
	for _, s := range a.SubAttributes {
		s.readOnly()
	}
	return a
}

// plural is the usual shape of a multi-valued attribute such as emails
// (RFC 7643 §2.4): value, display, type and primary.
func plural(name, desc string, value *attr, types ...string) *attr {
	return complexAttr(name, desc,
		value,
		str("display", "A human-readable name, primarily used for display purposes."),
		str("type", "A label indicating the attribute's function.").canonical(types...),
		boolean("primary", "Whether this value is the preferred one; true at most once."),
	).multi()
}

// find returns the attribute of attrs named name, ignoring case as RFC 7643
// §2.1 asks, or nil.
func find(attrs []*attr, name string) *attr {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// schema is a schema resource (RFC 7643 §7).
type schema struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Attributes  []*attr `json:"attributes"`
}

// kind is a resource type (RFC 7643 §6) and everything the server needs to
// handle its resources.
type kind struct {
	name        string // "User"
	endpoint    string // "/Users"
	description string
	core        *schema
	exts        []*schema
	top         []*attr   // common attributes, then the core schema's
	all         []*schema // core, then extensions
}

func newKind(name, endpoint, desc string, core *schema, exts ...*schema) *kind {
	return &kind{
		name:        name,
		endpoint:    endpoint,
		description: desc,
		core:        core,
		exts:        exts,
		top:         append(append([]*attr(nil), common...), core.Attributes...),
		all:         append([]*schema{core}, exts...),
	}
}

// common are the attributes every resource has (RFC 7643 §3.1). They are
// not part of any schema's published attribute list.
var common = []*attr{
	str("id", "Unique identifier for the resource, assigned by the service provider.").exact().mutability("readOnly").returned("always").unique(),
	str("externalId", "Identifier of the resource as defined by the provisioning client.").exact(),
	complexAttr("meta", "Resource metadata.",
		str("resourceType", "The name of the resource type of the resource.").exact(),
		dateTime("created", "When the resource was added to the service provider."),
		dateTime("lastModified", "When the resource was last modified."),
		ref("location", "The URI of the resource.", "uri").exact(),
		str("version", "The version of the resource.").exact(),
	).readOnly(),
}

var userSchema = &schema{
	ID:          SchemaUser,
	Name:        "User",
	Description: "User Account",
	Attributes: []*attr{
		str("userName", "Unique identifier for the User, used by the user to authenticate.").required().unique(),
		complexAttr("name", "The components of the user's real name.",
			str("formatted", "The full name, formatted for display."),
			str("familyName", "The family name of the User."),
			str("givenName", "The given name of the User."),
			str("middleName", "The middle name(s) of the User."),
			str("honorificPrefix", "The honorific prefix(es) of the User."),
			str("honorificSuffix", "The honorific suffix(es) of the User."),
		),
		str("displayName", "The name of the User, suitable for display to end-users."),
		str("nickName", "The casual way to address the user."),
		ref("profileUrl", "A URI that is a uniform resource locator pointing to the user's online profile.", "external"),
		str("title", "The user's title, such as \"Vice President\"."),
		str("userType", "Used to identify the relationship between the organization and the user."),
		str("preferredLanguage", "The User's preferred written or spoken language."),
		str("locale", "The User's default location for localizing."),
		str("timezone", "The User's time zone in the IANA Time Zone database format."),
		boolean("active", "The User's administrative status; true unless set otherwise."),
		str("password", "The User's cleartext password, never returned.").exact().mutability("writeOnly").returned("never"),
		plural("emails", "Email addresses for the user.", str("value", "Email address for the User."), "work", "home", "other"),
		plural("phoneNumbers", "Phone numbers for the User.", str("value", "Phone number of the User."), "work", "home", "mobile", "fax", "pager", "other"),
		plural("ims", "Instant messaging addresses for the User.", str("value", "Instant messaging address for the User."), "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		plural("photos", "URLs of photos of the User.", ref("value", "URL of a photo of the User.", "external"), "photo", "thumbnail"),
		complexAttr("addresses", "A physical mailing address for this User.",
			str("formatted", "The full mailing address, formatted for display."),
			str("streetAddress", "The full street address component."),
			str("locality", "The city or locality component."),
			str("region", "The state or region component."),
			str("postalCode", "The zip code or postal code component."),
			str("country", "The country name component."),
			str("type", "A label indicating the attribute's function.").canonical("work", "home", "other"),
			boolean("primary", "Whether this is the preferred address; true at most once."),
		).multi(),
		complexAttr("groups", "The groups the user belongs to, computed by the service provider.",
			str("value", "The identifier of the User's group."),
			ref("$ref", "The URI of the corresponding Group resource.", "User", "Group"),
			str("display", "A human-readable name of the group."),
			str("type", "How the membership is derived.").canonical("direct", "indirect"),
		).multi().readOnly(),
		plural("entitlements", "A list of entitlements for the User.", str("value", "The value of an entitlement.")),
		plural("roles", "A list of roles for the User.", str("value", "The value of a role.")),
		plural("x509Certificates", "A list of certificates issued to the User.", newAttr("value", "binary", "The value of an X.509 certificate.")),
	},
}

var enterpriseSchema = &schema{
	ID:          SchemaEnterpriseUser,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*attr{
		str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
		str("costCenter", "Identifies the name of a cost center."),
		str("organization", "Identifies the name of an organization."),
		str("division", "Identifies the name of a division."),
		str("department", "Identifies the name of a department."),
		complexAttr("manager", "The User's manager.",
			str("value", "The id of the SCIM resource representing the User's manager."),
			ref("$ref", "The URI of the SCIM resource representing the User's manager.", "User"),
			str("displayName", "The displayName of the User's manager.").mutability("readOnly"),
		),
	},
}

var groupSchema = &schema{
	ID:          SchemaGroup,
	Name:        "Group",
	Description: "Group",
	Attributes: []*attr{
		str("displayName", "A human-readable name for the Group.").required(),
		complexAttr("members", "A list of members of the Group.",
			str("value", "Identifier of the member of this Group.").exact().mutability("immutable"),
			ref("$ref", "The URI of the member resource, set by the service provider.", "User", "Group").mutability("immutable"),
			str("display", "A human-readable name of the member."),
			str("type", "The type of the member, set by the service provider.").canonical("User", "Group").mutability("immutable"),
		).multi(),
	},
}

var (
	userKind  = newKind("User", "/Users", "User Account", userSchema, enterpriseSchema)
	groupKind = newKind("Group", "/Groups", "Group", groupSchema)
	kinds     = []*kind{userKind, groupKind}
	schemas   = []*schema{userSchema, enterpriseSchema, groupSchema}
)

// schemaByID returns k's core or extension schema whose URN is id, ignoring
// case, or nil.
func (k *kind) schemaByID(id string) *schema {
	for _, s := range k.all {
		if strings.EqualFold(id, s.ID) {
			return s
		}
	}
	return nil
}
