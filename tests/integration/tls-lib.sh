# SPDX-License-Identifier: Apache-2.0
# tests/integration/tls-lib.sh: sourced by the tls-*.sh tests and
# tests/bench/tls-bench.sh (not a test itself). Makes a test PKI with the
# openssl command line and serves certificates with `openssl s_server` on
# free loopback ports (127.0.0.1 only); every server started here is killed
# by tls_cleanup (called from the EXIT trap).
#
#   tls_make_pki DIR     CA (root), intermediate, and leaves (each DIR/NAME.crt,
#                        DIR/NAME.key; DIR/NAME.chain = leaf + intermediate):
#     valid      200 days less 12 hours (days_left 199 however long the
#                tests take, up to 12 h), SAN localhost + 127.0.0.1
#     exp5       expires in 5 days (and an hour)
#     exp25      expires in 25 days (and an hour)
#     expired    notAfter 2 days ago
#     future     notBefore in 3 days
#     wronghost  SAN wrong.example only
#     sha1       signed with SHA-1
#     rsa1024    RSA 1024-bit key
#     selfsigned self-signed, not from the CA
#     wildcard   SAN *.example.test
#   tls_serve NAME       serves NAME.crt (+ NAME.rest, the chain) on a free port,
#                        prints the port
#   tls_cleanup          kills the servers
# Creating keys is the slow part; EC P-256 keys are used where the key does
# not matter.

TLS_PIDS=""
TLS_PKI=""

# A free loopback TCP port.
tls_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# An OpenSSL time N days (+/-, fractional allowed via hours) from now.
tls_date() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# tls_ca_sign CSR OUT CACERT CAKEY EXTSECTION START END [MD]
tls_ca_sign() {
  local csr=$1 out=$2 cacert=$3 cakey=$4 ext=$5 start=$6 end=$7 md=${8:-sha256}
  openssl ca -batch -notext -config "$TLS_PKI/ca.cnf" -cert "$cacert" -keyfile "$cakey" \
    -in "$csr" -out "$out" -extensions "$ext" -startdate "$start" -enddate "$end" \
    -md "$md" >"$TLS_PKI/ca.log" 2>&1 || { cat "$TLS_PKI/ca.log" >&2; return 1; }
}

# tls_leaf NAME SAN START END [MD] [KEYSPEC]
tls_leaf() {
  local name=$1 san=$2 start=$3 end=$4 md=${5:-sha256} key=${6:-ec}
  if [ "$key" = ec ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS_PKI/$name.key" 2>/dev/null
  else
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$key" -out "$TLS_PKI/$name.key" 2>/dev/null
  fi
  openssl req -new -key "$TLS_PKI/$name.key" -subj "/CN=$name.probe.test" -out "$TLS_PKI/$name.csr" 2>/dev/null
  printf '[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" \
    > "$TLS_PKI/$name.ext"
  cat "$TLS_PKI/ca.cnf" "$TLS_PKI/$name.ext" > "$TLS_PKI/$name.cnf"
  openssl ca -batch -notext -config "$TLS_PKI/$name.cnf" -cert "$TLS_PKI/inter.crt" -keyfile "$TLS_PKI/inter.key" \
    -in "$TLS_PKI/$name.csr" -out "$TLS_PKI/$name.crt" -extensions leaf -startdate "$start" -enddate "$end" \
    -md "$md" >"$TLS_PKI/ca.log" 2>&1 || { cat "$TLS_PKI/ca.log" >&2; return 1; }
  cat "$TLS_PKI/$name.crt" "$TLS_PKI/inter.crt" > "$TLS_PKI/$name.chain"
  cp "$TLS_PKI/inter.crt" "$TLS_PKI/$name.rest"
}

tls_make_pki() {
  TLS_PKI=$1
  mkdir -p "$TLS_PKI/new"
  : > "$TLS_PKI/index.txt"
  echo 1000 > "$TLS_PKI/serial"
  cat > "$TLS_PKI/ca.cnf" <<EOF
[ca]
default_ca = ca_default
[ca_default]
dir = $TLS_PKI
database = $TLS_PKI/index.txt
new_certs_dir = $TLS_PKI/new
serial = $TLS_PKI/serial
policy = policy_any
unique_subject = no
copy_extensions = none
default_md = sha256
[policy_any]
commonName = supplied
[inter]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  # a config that lets s_server use RSA-1024 and SHA-1 certificates
  cat > "$TLS_PKI/seclevel0.cnf" <<'EOF'
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
CipherString = DEFAULT:@SECLEVEL=0
EOF
  local now_m1=$(tls_date '-1 day')
  # root CA (self-signed, 10 years) and intermediate (5 years)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLS_PKI/ca.key" \
    -out "$TLS_PKI/ca.crt" -subj "/CN=Probe Test Root CA" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS_PKI/inter.key" 2>/dev/null
  openssl req -new -key "$TLS_PKI/inter.key" -subj "/CN=Probe Test Intermediate" -out "$TLS_PKI/inter.csr" 2>/dev/null
  tls_ca_sign "$TLS_PKI/inter.csr" "$TLS_PKI/inter.crt" "$TLS_PKI/ca.crt" "$TLS_PKI/ca.key" inter \
    "$now_m1" "$(tls_date '+1800 days')"
  local san='DNS:localhost,IP:127.0.0.1'
  tls_leaf valid "$san" "$now_m1" "$(tls_date '+200 days -12 hours')"
  tls_leaf exp5 "$san" "$now_m1" "$(tls_date '+5 days +1 hour')"
  tls_leaf exp25 "$san" "$now_m1" "$(tls_date '+25 days +1 hour')"
  tls_leaf expired "$san" "$(tls_date '-30 days')" "$(tls_date '-2 days')"
  tls_leaf future "$san" "$(tls_date '+3 days')" "$(tls_date '+300 days')"
  tls_leaf wronghost 'DNS:wrong.example' "$now_m1" "$(tls_date '+200 days -12 hours')"
  tls_leaf sha1 "$san" "$now_m1" "$(tls_date '+200 days -12 hours')" sha1
  tls_leaf rsa1024 "$san" "$now_m1" "$(tls_date '+200 days -12 hours')" sha256 1024
  tls_leaf wildcard 'DNS:*.example.test' "$now_m1" "$(tls_date '+200 days -12 hours')"
  # self-signed leaf, not from the CA
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TLS_PKI/selfsigned.key" \
    -out "$TLS_PKI/selfsigned.crt" -subj "/CN=selfsigned.probe.test" -days 200 \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
  cp "$TLS_PKI/selfsigned.crt" "$TLS_PKI/selfsigned.chain"
  : > "$TLS_PKI/selfsigned.rest"
  # leaf + intermediate + root, as some servers present it
  cat "$TLS_PKI/valid.chain" "$TLS_PKI/ca.crt" > "$TLS_PKI/withroot.chain"
  cp "$TLS_PKI/valid.key" "$TLS_PKI/withroot.key"
  cp "$TLS_PKI/valid.crt" "$TLS_PKI/withroot.crt"
  cat "$TLS_PKI/inter.crt" "$TLS_PKI/ca.crt" > "$TLS_PKI/withroot.rest"
}

# tls_serve NAME: s_server for DIR/NAME.chain on a free loopback port; prints the port.
tls_serve() {
  local name=$1 port i chain=""
  port=$(tls_free_port)
  [ -s "$TLS_PKI/$name.rest" ] && chain="-cert_chain $TLS_PKI/$name.rest"
  OPENSSL_CONF="$TLS_PKI/seclevel0.cnf" openssl s_server -quiet -www -accept "127.0.0.1:$port" \
    -cert "$TLS_PKI/$name.crt" -key "$TLS_PKI/$name.key" $chain \
    </dev/null >"$TLS_PKI/s_server-$name-$port.log" 2>&1 &
  TLS_PIDS="$TLS_PIDS $!"
  for i in $(seq 1 100); do
    if python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),1); s.close()' "$port" 2>/dev/null; then
      echo "$port"
      return 0
    fi
    sleep 0.05
  done
  echo "tls_serve: s_server for $name did not start" >&2
  cat "$TLS_PKI/s_server-$name-$port.log" >&2
  return 1
}

# tls_serve_sni DEFAULT SNINAME OTHER: serves DEFAULT's certificate, and
# OTHER's to clients that send SNINAME; prints the port.
tls_serve_sni() {
  local name=$1 sni=$2 other=$3 port i
  port=$(tls_free_port)
  OPENSSL_CONF="$TLS_PKI/seclevel0.cnf" openssl s_server -quiet -www -accept "127.0.0.1:$port" \
    -cert "$TLS_PKI/$name.crt" -key "$TLS_PKI/$name.key" -servername "$sni" \
    -cert2 "$TLS_PKI/$other.crt" -key2 "$TLS_PKI/$other.key" \
    </dev/null >"$TLS_PKI/s_server-sni-$port.log" 2>&1 &
  TLS_PIDS="$TLS_PIDS $!"
  tls_wait_port "$port" || { cat "$TLS_PKI/s_server-sni-$port.log" >&2; return 1; }
  echo "$port"
}

# tls_silent: a server that accepts TCP connections and never says a word
# (for timeouts); prints the port.
tls_silent() {
  local port
  port=$(tls_free_port)
  python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$port" </dev/null >/dev/null 2>&1 &
  TLS_PIDS="$TLS_PIDS $!"
  tls_wait_port "$port" || return 1
  echo "$port"
}

# tls_wait_port PORT: waits until something listens on 127.0.0.1:PORT.
tls_wait_port() {
  local i
  for i in $(seq 1 100); do
    python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),1); s.close()' "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "tls-lib: nothing listens on port $1" >&2
  return 1
}

# tls_cleanup: kills the servers this script started (by their pids).
tls_cleanup() {
  local p
  for p in $TLS_PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $TLS_PIDS; do wait "$p" 2>/dev/null || true; done
  TLS_PIDS=""
}
