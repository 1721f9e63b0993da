package verify

import (
	"fmt"
	"strconv"
	"strings"
)

// ConnectTo sends HTTP connections for one host and port elsewhere, with
// curl's --connect-to semantics: a request for FromHost:FromPort connects
// to ToHost:ToPort instead, while the URL, the Host header and TLS's server
// name stay those of the request. An empty FromHost or FromPort matches any
// host or port; an empty ToHost or ToPort keeps the request's own.
type ConnectTo struct {
	FromHost, FromPort string
	ToHost, ToPort     string
}

// ParseConnectTo parses HOST1:PORT1:HOST2:PORT2, with IPv6 addresses in
// brackets ([::1]:80:[::1]:8080) and any part empty (::127.0.0.1:8080).
func ParseConnectTo(s string) (ConnectTo, error) {
	parts, err := splitConnectTo(s)
	if err != nil {
		return ConnectTo{}, fmt.Errorf("invalid --connect-to %q: %w", s, err)
	}
	ct := ConnectTo{FromHost: strings.ToLower(strings.TrimSuffix(parts[0], ".")), FromPort: parts[1],
		ToHost: parts[2], ToPort: parts[3]}
	for _, p := range []string{ct.FromPort, ct.ToPort} {
		if p == "" {
			continue
		}
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return ConnectTo{}, fmt.Errorf("invalid --connect-to %q: port %q must be 1-65535", s, p)
		}
	}
	if ct.ToHost == "" && ct.ToPort == "" {
		return ConnectTo{}, fmt.Errorf("invalid --connect-to %q: give the host or port to connect to", s)
	}
	return ct, nil
}

// splitConnectTo splits at the colons outside brackets into four parts
// and removes the brackets.
func splitConnectTo(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	inBracket := false
	for _, r := range s {
		switch {
		case r == '[' && !inBracket && cur.Len() == 0:
			inBracket = true
		case r == ']' && inBracket:
			inBracket = false
		case r == ':' && !inBracket:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if inBracket {
		return nil, fmt.Errorf("unclosed [")
	}
	parts = append(parts, cur.String())
	if len(parts) != 4 {
		return nil, fmt.Errorf("want HOST1:PORT1:HOST2:PORT2 (IPv6 addresses in brackets)")
	}
	for i, p := range parts {
		if p != "" && (i == 0 || i == 2) && strings.ContainsAny(p, "/ ") {
			return nil, fmt.Errorf("%q is not a host", p)
		}
	}
	return parts, nil
}

// String gives the ConnectTo back in its flag form.
func (ct ConnectTo) String() string {
	return bracket(ct.FromHost) + ":" + ct.FromPort + ":" + bracket(ct.ToHost) + ":" + ct.ToPort
}

func bracket(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// connectTo returns where a request for host:port connects, from the first
// matching rule: the host to reach ("" keeps host, to be resolved) and
// the port. ok is false when no rule matches.
func (c *Checker) connectTo(host, port string) (toHost, toPort string, ok bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, ct := range c.ConnectTo {
		if (ct.FromHost == "" || ct.FromHost == host) && (ct.FromPort == "" || ct.FromPort == port) {
			toHost, toPort = ct.ToHost, ct.ToPort
			if toPort == "" {
				toPort = port
			}
			return toHost, toPort, true
		}
	}
	return "", port, false
}
