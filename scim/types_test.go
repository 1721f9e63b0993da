package scim

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestUserJSON(t *testing.T) {
	tests := []struct {
		name string
		u    User
		want string
	}{
		{"core only", User{UserName: "ann", Active: boolp(false), Name: Name{GivenName: "Ann"}},
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann","name":{"givenName":"Ann"},"active":false}`},
		{"enterprise", User{ID: "1", UserName: "ann", Enterprise: Enterprise{Department: "R&D"}},
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
				`"id":"1","userName":"ann","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}`},
		{"extra attributes and a custom extension", User{UserName: "ann", Extra: map[string]json.RawMessage{
			"displayName":                   json.RawMessage(`"Ann Lee"`),
			"urn:example:params:scim:x:1.0": json.RawMessage(`{"badge":"7"}`),
		}}, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:example:params:scim:x:1.0"],"userName":"ann",` +
			`"displayName":"Ann Lee","urn:example:params:scim:x:1.0":{"badge":"7"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := marshal(tt.u) // as requests are encoded: no HTML escaping
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			var back User
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.u) {
				t.Errorf("round trip: %+v\nwant %+v", back, tt.u)
			}
		})
	}
}

func TestUserDecodeLenient(t *testing.T) {
	const in = `{"SCHEMAS":["x"],"ID":"1","USERNAME":"ann","Active":"True","name":{"GivenName":"Ann","familyname":"Lee"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"Department":"D","manager":{"value":"m1"}},
		"meta":{"resourceType":"User","version":"W/\"2\""},"phoneNumbers":[{"value":"1"}]}`
	var u User
	if err := json.Unmarshal([]byte(in), &u); err != nil {
		t.Fatal(err)
	}
	want := User{ID: "1", UserName: "ann", Active: boolp(true), Name: Name{GivenName: "Ann", FamilyName: "Lee"},
		Enterprise: Enterprise{Department: "D", Manager: &Manager{Value: "m1"}}, Meta: Meta{ResourceType: "User", Version: `W/"2"`},
		Extra: map[string]json.RawMessage{"phoneNumbers": json.RawMessage(`[{"value":"1"}]`)}}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("got  %+v\nwant %+v", u, want)
	}
	for _, bad := range []string{`{"id":"1","active":"yes"}`, `{"id":"1","name":"Ann"}`, `[]`, `null`} {
		var u User
		if err := json.Unmarshal([]byte(bad), &u); err == nil {
			t.Errorf("%s decoded without an error", bad)
		}
	}
}

func TestGroupJSON(t *testing.T) {
	tests := []struct {
		g    Group
		want string
	}{
		{Group{DisplayName: "Eng"}, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng"}`},
		{Group{DisplayName: "Eng", Members: []Member{}}, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[]}`},
		{Group{ID: "g", DisplayName: "Eng", Members: []Member{{Value: "u1", Display: "Ann", Ref: "https://h/Users/u1", Type: "User"}}},
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"Eng","members":[{"value":"u1","display":"Ann","$ref":"https://h/Users/u1","type":"User"}]}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.g)
		if err != nil || string(got) != tt.want {
			t.Errorf("got  %s %v\nwant %s", got, err, tt.want)
		}
		var back Group
		if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, tt.g) {
			t.Errorf("round trip: %+v %v", back, err)
		}
	}
}

func TestListResponseJSON(t *testing.T) {
	var lr ListResponse[*Group]
	if err := json.Unmarshal([]byte(`{"totalResults":"3","itemsPerPage":2.0,"startIndex":null,"resources":[{"id":"a"},{"id":"b"}]}`), &lr); err != nil {
		t.Fatal(err)
	}
	if lr.TotalResults != 3 || lr.ItemsPerPage != 2 || lr.StartIndex != 0 || len(lr.Resources) != 2 || lr.Resources[1].ID != "b" {
		t.Errorf("%+v", lr)
	}
	out, _ := json.Marshal(ListResponse[Group]{})
	if want := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"startIndex":0,"Resources":[]}`; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}
