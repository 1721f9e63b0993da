package sandbox_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgctl/orgctl/cmd/orgctl/internal/sandbox"
	"github.com/orgctl/orgctl/verify"
)

const code = "logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e"

func TestSandboxPublish(t *testing.T) {
	dir := t.TempDir()
	sb, err := sandbox.Start(sandbox.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if _, err := os.Stat(filepath.Join(dir, "example.test.zone")); err != nil {
		t.Fatalf("empty directory not seeded: %v", err)
	}
	if !strings.Contains(sb.Flags(), "--resolver "+sb.Resolver.Addr) || !strings.Contains(sb.Env(), "ORGCTL_NS_PORT="+sb.NSPort()) ||
		!strings.Contains(sb.Env(), "ORGCTL_SYSTEM_RESOLVER=none\n") {
		t.Errorf("flags %q env %q", sb.Flags(), sb.Env())
	}

	// The sandbox works with discovery: resolver, NS records, --ns-port.
	c := &verify.Checker{Resolvers: []string{sb.Resolver.Addr}, NSPort: atoi(t, sb.NSPort()), Timeout: time.Second}
	res, err := c.DNS(context.Background(), "example.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != verify.StatusNotFound {
		t.Fatalf("before publishing: %s", res.Status)
	}

	// Publishing is editing the zone file.
	f, err := os.OpenFile(filepath.Join(dir, "example.test.zone"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("example.test. 60 IN TXT \"" + code + "\"\n")
	f.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err = c.DNS(context.Background(), "example.test", verify.Code{Value: code})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verified || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !res.Verified {
		t.Fatalf("after publishing: %s %v", res.Status, res.Findings)
	}
}

func TestSandboxLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:53", "nonsense"} {
		if sb, err := sandbox.Start(sandbox.Options{Dir: t.TempDir(), Resolver: addr}); err == nil {
			sb.Close()
			t.Errorf("listen address %q accepted", addr)
		}
	}
}

func TestSandboxKeepsExistingZones(t *testing.T) {
	dir := t.TempDir()
	zone := "$ORIGIN mine.test.\n@ 60 IN SOA ns.mine.test. h.mine.test. 1 60 60 60 60\n@ 60 IN NS ns.mine.test.\nns 60 IN A 127.0.0.1\n"
	os.WriteFile(filepath.Join(dir, "mine.test.zone"), []byte(zone), 0o644)
	sb, err := sandbox.Start(sandbox.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if _, err := os.Stat(filepath.Join(dir, "example.test.zone")); err == nil {
		t.Error("example zone written next to the user's zones")
	}
	if got := sb.Auth.Zones(); len(got) != 1 || got[0] != "mine.test." {
		t.Errorf("zones %v", got)
	}
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("port %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func TestSandboxReportsBadEdits(t *testing.T) {
	dir := t.TempDir()
	errs := make(chan error, 10)
	sb, err := sandbox.Start(sandbox.Options{Dir: dir, OnReload: func(err error) { errs <- err }})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	os.WriteFile(filepath.Join(dir, "example.test.zone"), []byte("this is not a zone file\n"), 0o644)
	time.Sleep(250 * time.Millisecond) // the servers look at the directory at most every 200ms
	c := &verify.Checker{Resolvers: []string{sb.Resolver.Addr}, NSPort: atoi(t, sb.NSPort()), Timeout: time.Second}
	res, err := c.DNS(context.Background(), "example.test", verify.Code{Value: code})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if err == nil || !strings.Contains(err.Error(), "example.test.zone") {
			t.Errorf("reload error = %v, want one naming the file", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no reload reported")
	}
	// The previous data is still served.
	if res.Status != verify.StatusNotFound || res.Zone != "example.test." {
		t.Errorf("after a bad edit: status %s zone %q", res.Status, res.Zone)
	}
}

func TestSandboxWeb(t *testing.T) {
	dir := t.TempDir()
	sb, err := sandbox.Start(sandbox.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ct, err := verify.ParseConnectTo(sb.ConnectTo())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.Flags(), "--connect-to "+sb.ConnectTo()) || !strings.Contains(sb.Env(), "ORGCTL_CONNECT_TO="+sb.ConnectTo()) {
		t.Errorf("flags %q env %q", sb.Flags(), sb.Env())
	}
	c := &verify.Checker{Resolvers: []string{sb.Resolver.Addr}, NSPort: atoi(t, sb.NSPort()), Timeout: time.Second}
	c.ConnectTo = []verify.ConnectTo{ct}
	check := func() *verify.Result {
		t.Helper()
		res, err := c.HTTP(context.Background(), "example.test", verify.Code{Value: code})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := check(); res.Status != verify.StatusNotFound {
		t.Fatalf("before publishing: %s %v", res.Status, res.Findings)
	}
	// Publishing is writing the file under the host's directory; the
	// sandbox zone resolves example.test to the loopback address.
	if err := os.WriteFile(filepath.Join(dir, "web", "example.test", "logmein-verification-code.txt"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	res := check()
	if !res.Verified || len(res.Addresses) != 1 || res.Addresses[0].Address != "127.0.0.1" {
		t.Fatalf("after publishing: %s %+v %v", res.Status, res.Addresses, res.Findings)
	}

	// Only files under the web root, by host.
	get := func(host, path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+sb.WebAddr+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	os.WriteFile(filepath.Join(dir, "secret"), []byte("x"), 0o644)
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"example.test", "/logmein-verification-code.txt", 200},
		{"EXAMPLE.test.", "/logmein-verification-code.txt", 200},
		{"other.test", "/logmein-verification-code.txt", 404},
		{"example.test", "/../../secret", 404},
		{"..", "/secret", 404},
		{"example.test", "/", 404},
	} {
		if got := get(tc.host, tc.path); got != tc.want {
			t.Errorf("GET %s%s: %d, want %d", tc.host, tc.path, got, tc.want)
		}
	}
}

func TestSandboxSCIM(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if !strings.HasPrefix(sb.SCIMURL, "http://127.0.0.1:") || !strings.Contains(sb.Env(), "ORGCTL_SCIM_TOKEN="+sb.SCIMToken) {
		t.Fatalf("url %q env %q", sb.SCIMURL, sb.Env())
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{sb.SCIMToken, 200}, {"", 401}, {"wrong", 401}} {
		req, _ := http.NewRequest(http.MethodGet, sb.SCIMURL+"/Users", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token %q: %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
	}
}

// TestSandboxSCIMStrict: the sandbox serves the strict SCIM service, which
// refuses the PATCH forms that strict providers refuse.
func TestSandboxSCIMStrict(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	uid := sb.SCIM.AddUser(map[string]any{"userName": "strict@example.test", "name": map[string]any{"givenName": "S"}})
	gid := sb.SCIM.AddGroup(map[string]any{"displayName": "G", "members": []any{map[string]any{"value": uid}}})
	patch := func(path, ops string) int {
		t.Helper()
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
		req, _ := http.NewRequest(http.MethodPatch, sb.SCIMURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+sb.SCIMToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name, path, ops string
		want            int
	}{
		{"capitalised op", "/Users/" + uid, `{"op":"Replace","path":"active","value":false}`, 400},
		{"string boolean", "/Users/" + uid, `{"op":"replace","path":"active","value":"False"}`, 400},
		{"dotted key without a path", "/Users/" + uid, `{"op":"replace","value":{"name.givenName":"T"}}`, 400},
		{"remove with a value", "/Groups/" + gid, `{"op":"remove","path":"members","value":[{"value":"` + uid + `"}]}`, 400},
		{"the strict forms", "/Users/" + uid, `{"op":"replace","path":"active","value":false},{"op":"replace","path":"name.givenName","value":"T"}`, 200},
		{"remove by path", "/Groups/" + gid, `{"op":"remove","path":"members[value eq \"` + uid + `\"]"}`, 204},
	} {
		if got := patch(tc.path, tc.ops); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}
