#!/usr/bin/env bash
# Certificates and SCRAM credentials for the secure profile (docker-compose.secure.yml).
#
#   ./make-certs.sh [MEMBER ...]        # members default to $SCREENING_MEMBERS, then the
#                                       # compose file's default: acme-bank,northpay,cardco
#
# Writes into ./secrets (or $SECRETS_DIR), never overwriting what exists, so running it
# again after adding a member only creates that member's password:
#
#   ca.pem, ca.key          a private CA (ca.key stays on this host: nothing mounts it)
#   kafka.p12               the broker's PKCS12 keystore (key + certificate for kafka,
#                           localhost and 127.0.0.1, signed by the CA)
#   keystore.password       its password
#   passwords/<user>        random SCRAM passwords: broker, admin, screening, console,
#                           watchlist-publisher and one per member
#   clients/<user>.properties   Java client settings (kafka-console-*.sh --*.config)
#   clients/<user>.env          the screening command's variables (KAFKA_SECURITY_PROTOCOL...)
#
# Needs openssl (1.1.1 or later). For a real deployment use your organisation's CA and
# secret store; this CA exists to make the profile runnable end to end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${SECRETS_DIR:-$here/secrets}
days_ca=3650
days_broker=825

if [[ $# -gt 0 ]]; then
  members=("$@")
else
  IFS=',' read -ra members <<< "${SCREENING_MEMBERS:-acme-bank,northpay,cardco}"
fi
for member in "${members[@]}"; do
  if [[ ! $member =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "make-certs.sh: '$member' is not a member id ([a-z0-9][a-z0-9-]*)" >&2
    exit 2
  fi
  case $member in
    broker | admin | screening | watchlist-publisher | console)
      echo "make-certs.sh: member id '$member' is a reserved principal name" >&2
      exit 2
      ;;
  esac
done

# The directory keeps other users of this host out; the files inside are readable by the
# containers' own users (appuser, screening), which are not this host's user.
umask 022
mkdir -p "$out/passwords" "$out/clients"
chmod 700 "$out"

random_secret() { openssl rand -hex 24; }

if [[ ! -s $out/ca.pem ]]; then
  openssl req -x509 -newkey rsa:4096 -sha256 -days "$days_ca" -nodes \
    -keyout "$out/ca.key" -out "$out/ca.pem" -subj "/O=Coalition screening/CN=screening-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null
  chmod 600 "$out/ca.key"
  echo "created the CA: $out/ca.pem"
fi

if [[ ! -s $out/kafka.p12 ]]; then
  [[ -s $out/keystore.password ]] || random_secret > "$out/keystore.password"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  openssl req -newkey rsa:2048 -sha256 -nodes -keyout "$work/kafka.key" -out "$work/kafka.csr" \
    -subj "/O=Coalition screening/CN=kafka" 2> /dev/null
  cat > "$work/ext.cnf" << 'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:kafka, DNS:localhost, IP:127.0.0.1
EOF
  openssl x509 -req -in "$work/kafka.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -days "$days_broker" -sha256 \
    -extfile "$work/ext.cnf" -out "$work/kafka.pem" 2> /dev/null
  openssl pkcs12 -export -name kafka -inkey "$work/kafka.key" -in "$work/kafka.pem" \
    -certfile "$out/ca.pem" -out "$out/kafka.p12" -passout "file:$out/keystore.password"
  chmod 644 "$out/kafka.p12"
  echo "created the broker keystore: $out/kafka.p12"
fi

for user in broker admin screening watchlist-publisher console "${members[@]}"; do
  secret=$out/passwords/$user
  if [[ ! -s $secret ]]; then
    random_secret > "$secret"
    echo "created the SCRAM password of $user"
  fi
  password=$(cat "$secret")
  # Client settings for this user, with this host's path of the CA.
  cat > "$out/clients/$user.properties" << EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$user" password="$password";
ssl.truststore.type=PEM
ssl.truststore.location=$out/ca.pem
EOF
  cat > "$out/clients/$user.env" << EOF
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:29092
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=$user
KAFKA_SASL_PASSWORD=$password
KAFKA_SSL_CAFILE=$out/ca.pem
EOF
done

echo "secrets in $out (members: ${members[*]})"
