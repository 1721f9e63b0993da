package scimtest

// The discovery endpoints (RFC 7644 §4): what the server supports, served
// from the same definitions it enforces.

// spConfig is the ServiceProviderConfig resource (RFC 7643 §5).
func spConfig(o Options, base string) map[string]any {
	return map[string]any{
		"schemas":          []string{schemaSPConfig},
		"documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": o.maxCount()},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": false},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "Authentication with a bearer token in the Authorization header (RFC 6750).",
			"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
			"primary":     true,
		}},
		"meta": discoveryMeta("ServiceProviderConfig", base+"/ServiceProviderConfig"),
	}
}

// resourceType is the ResourceType resource of k (RFC 7643 §6).
func resourceType(k *kind, base string) map[string]any {
	exts := []any{}
	for _, e := range k.exts {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	return map[string]any{
		"schemas":          []string{schemaResourceType},
		"id":               k.name,
		"name":             k.name,
		"endpoint":         k.endpoint,
		"description":      k.description,
		"schema":           k.core.ID,
		"schemaExtensions": exts,
		"meta":             discoveryMeta("ResourceType", base+"/ResourceTypes/"+k.name),
	}
}

// schemaResource is the Schema resource of sc (RFC 7643 §7).
func schemaResource(sc *schema, base string) map[string]any {
	return map[string]any{
		"schemas":     []string{schemaSchema},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  sc.Attributes,
		"meta":        discoveryMeta("Schema", base+"/Schemas/"+sc.ID),
	}
}

func discoveryMeta(resourceType, location string) map[string]any {
	return map[string]any{"resourceType": resourceType, "location": location}
}

// listResponse is a ListResponse message holding all of resources.
func listResponse[T any](resources []T) map[string]any {
	return map[string]any{
		"schemas":      []string{msgListResponse},
		"totalResults": len(resources),
		"startIndex":   1,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}
