package capture

import (
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ClientEnv points the libpq environment and DATABASE_URL at the proxy,
// keeping the user, password and database of the upstream DSN.
func ClientEnv(environ []string, up *pgconn.Config, addr *net.TCPAddr) []string {
	host, port := addr.IP.String(), strconv.Itoa(addr.Port)
	set := map[string]string{
		"PGHOST":    host,
		"PGPORT":    port,
		"PGSSLMODE": "disable",
	}
	u := &url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, port), Path: "/" + up.Database}
	if up.User != "" {
		set["PGUSER"] = up.User
		u.User = url.User(up.User)
		if up.Password != "" {
			set["PGPASSWORD"] = up.Password
			u.User = url.UserPassword(up.User, up.Password)
		}
	}
	if up.Database != "" {
		set["PGDATABASE"] = up.Database
	}
	q := url.Values{"sslmode": {"disable"}}
	for k, v := range up.RuntimeParams {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	set["DATABASE_URL"] = u.String()

	// Settings that would send the client elsewhere, or ask it for TLS the
	// proxy does not offer, are dropped.
	drop := map[string]bool{"PGHOSTADDR": true, "PGSERVICE": true, "PGSERVICEFILE": true, "PGSSLNEGOTIATION": true,
		"PGREQUIRESSL": true, "PGGSSENCMODE": true, "PGREQUIREAUTH": true, "PGCHANNELBINDING": true}
	var env []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if _, overridden := set[k]; overridden || drop[k] {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+set[k])
	}
	return env
}
