#!/usr/bin/env bash
# Entry point of the secure broker (docker-compose.secure.yml, service `kafka`).
#
# 1. Renders server.properties from the KAFKA_* variables, named as the apache/kafka image
#    names them (KAFKA_ dropped, lower case, `_` -> `.`, `__` -> `_`, `___` -> `-`), plus
#    the secrets read from files (keystore password, the broker's own SASL login), so no
#    secret sits in the compose file or in `docker inspect`.
# 2. Formats the storage the first time with the SCRAM credentials of the broker and the
#    admin (KIP-900): inter-broker SCRAM and the first admin login need them before any
#    admin command can run. Later starts leave the storage as it is.
# 3. Starts Kafka, and writes the broker's client settings for the healthcheck.
set -euo pipefail

# Paths can be moved for a dry run (tests/unit/deploy/test_secure_profile.py); none starts with
# KAFKA_, which would make it a broker property.
secrets=${SECRETS_DIR:-/run/secrets}
work=${WORK_DIR:-/tmp}
bin=${BIN_DIR:-/opt/kafka/bin}
config=$work/server.properties
client_config=$work/client.properties
umask 077

read_secret() {
  if [[ ! -s $secrets/$1 ]]; then
    echo "kafka-start.sh: missing $secrets/$1: run deploy/secure/make-certs.sh first" >&2
    exit 1
  fi
  cat "$secrets/$1"
}

broker_password=$(read_secret broker.password)
admin_password=$(read_secret admin.password)
keystore_password=$(read_secret keystore.password)
: "${CLUSTER_ID:?CLUSTER_ID is not set}"

scram_login="org.apache.kafka.common.security.scram.ScramLoginModule required"
plain_login="org.apache.kafka.common.security.plain.PlainLoginModule required"
{
  for name in $(compgen -e | grep '^KAFKA_' | sort); do
    case $name in
      KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | \
        KAFKA_JMX_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_VERSION | KAFKA_HOME) continue ;;
    esac
    key=$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' |
      sed -e 's/___/-/g' -e 's/__/%/g' -e 's/_/./g' -e 's/%/_/g')
    printf '%s=%s\n' "$key" "${!name}"
  done
  echo "ssl.keystore.password=$keystore_password"
  echo "ssl.key.password=$keystore_password"
  # CLIENT carries inter-broker traffic: the broker logs in there as `broker`.
  echo "listener.name.client.scram-sha-512.sasl.jaas.config=$scram_login username=\"broker\" password=\"$broker_password\";"
  echo "listener.name.host.scram-sha-512.sasl.jaas.config=$scram_login;"
  # KRaft controllers cannot check SCRAM on their own listener: PLAIN over TLS on loopback,
  # with the broker as its one user.
  echo "listener.name.controller.plain.sasl.jaas.config=$plain_login username=\"broker\" password=\"$broker_password\" user_broker=\"$broker_password\";"
} > "$config"

cat > "$client_config" << EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$scram_login username="broker" password="$broker_password";
ssl.truststore.type=PEM
ssl.truststore.location=${KAFKA_SSL_TRUSTSTORE_LOCATION}
EOF

"$bin/kafka-storage.sh" format --ignore-formatted --cluster-id "$CLUSTER_ID" \
  --config "$config" \
  --add-scram "SCRAM-SHA-512=[name=broker,password=$broker_password]" \
  --add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]"

exec "$bin/kafka-server-start.sh" "$config"
