package capture

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
)

// Roles the test server's pg_hba.conf treats specially.
const (
	// rolePassword must log in over TCP with its password.
	rolePassword = "plangate_password"
	// roleTLSOnly may log in over TCP only with TLS.
	roleTLSOnly = "plangate_tls_only"
)

// testCA is the certificate the test server presents (self-signed, for
// 127.0.0.1), or "" when the server was started without TLS.
var testCA string

func TestMain(m *testing.M) {
	dir, opts, err := tlsServerOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, "capture tests: running without TLS on the server:", err)
	}
	// The proxy's TLS and password paths need the server on TCP.
	code := pgtest.Main(m, append(opts, pgserver.WithTCP())...)
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// tlsServerOptions writes a certificate, a key and a pg_hba.conf for the
// test server, so that the proxy's TLS and password paths meet a real
// server: TLS on, a role that needs a password, a role that needs TLS.
func tlsServerOptions() (string, []pgserver.LocalOption, error) {
	dir, err := os.MkdirTemp("/tmp", "plangate-capture-tls-")
	if err != nil {
		return "", nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return dir, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return dir, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return dir, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return dir, nil, err
	}
	certPath, keyPath, hbaPath := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), filepath.Join(dir, "pg_hba.conf")
	hba := "local all all trust\n" +
		"hostnossl all " + roleTLSOnly + " 127.0.0.1/32 reject\n" +
		"host all " + rolePassword + " 127.0.0.1/32 scram-sha-256\n" +
		"host all all 127.0.0.1/32 trust\n"
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644},
		{keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{hbaPath, []byte(hba), 0o644},
	} {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return dir, nil, err
		}
	}
	// PostgreSQL reads its key only if the server's own user owns it; as
	// root, the local backend runs the server as "postgres" (else "nobody").
	if os.Geteuid() == 0 {
		for _, name := range []string{"postgres", "nobody"} {
			u, err := user.Lookup(name)
			if err != nil {
				continue
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			if err := os.Chown(keyPath, uid, gid); err != nil {
				return dir, nil, err
			}
			break
		}
	}
	testCA = certPath
	return dir, []pgserver.LocalOption{pgserver.WithSettings(pgserver.Settings{
		"ssl":           "on",
		"ssl_cert_file": certPath,
		"ssl_key_file":  keyPath,
		"hba_file":      hbaPath,
	})}, nil
}
