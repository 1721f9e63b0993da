package config

import (
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// ResolvConf is where the system's resolvers are read from.
const ResolvConf = "/etc/resolv.conf"

// SystemResolvers returns the nameservers of a resolv.conf file as
// host:port addresses.
func SystemResolvers(path string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the system's resolvers from %s: %w", path, err)
	}
	if len(cc.Servers) == 0 {
		return nil, fmt.Errorf("%s lists no nameserver", path)
	}
	out := make([]string, len(cc.Servers))
	for i, s := range cc.Servers {
		out[i] = net.JoinHostPort(s, cc.Port)
	}
	return out, nil
}
