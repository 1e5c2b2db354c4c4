#!/usr/bin/env bash
# One-shot set-up of the secure profile (docker-compose.secure.yml, service `kafka-init`),
# run as the admin super user; every step is idempotent, so it runs again safely:
#
# 1. SCRAM users for the worker (`screening`), the watchlist publisher, the fraud desk's
#    console (`console`) and every member of SCREENING_MEMBERS, passwords from the files
#    make-certs.sh wrote;
# 2. the contract's topics (the console's included), and payments.<member>,
#    decisions.<member> and resolutions.<member> for every member;
# 3. the ACLs `screening acl` generated from the same member list (service `acl-plan`,
#    shared through the `acl-plan` volume), then lists what the broker now holds.
set -euo pipefail

# Paths can be moved for a dry run (tests/unit/deploy/test_secure_profile.py).
secrets=${SECRETS_DIR:-/run/secrets}
export PATH=${BIN_DIR:-/opt/kafka/bin}:$PATH
passwords=$secrets/passwords
bootstrap=${BOOTSTRAP_SERVER:-kafka:9092}
partitions=${TOPIC_PARTITIONS:-6}
plan=${ACL_PLAN:-/plan/acls.sh}
# The admin client settings; `screening acl --command-config` names this same file.
admin_config=${WORK_DIR:-/tmp}/admin.properties
umask 077

password() {
  if [[ ! -s $passwords/$1 ]]; then
    echo "kafka-init.sh: no password for '$1' in $passwords: run make-certs.sh $1" >&2
    exit 1
  fi
  cat "$passwords/$1"
}

cat > "$admin_config" << EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
EOF

members=()
IFS=',' read -ra listed <<< "${SCREENING_MEMBERS:-}"
for member in "${listed[@]}"; do
  member=${member//[[:space:]]/}
  [[ -z $member ]] && continue
  if [[ ! $member =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "kafka-init.sh: '$member' is not a member id ([a-z0-9][a-z0-9-]*)" >&2
    exit 1
  fi
  case $member in
    # A member must never take over the password of a system principal.
    admin | broker | screening | watchlist-publisher | console)
      echo "kafka-init.sh: member id '$member' is a reserved principal name" >&2
      exit 1
      ;;
  esac
  members+=("$member")
done
if [[ ${#members[@]} -eq 0 ]]; then
  echo "kafka-init.sh: SCREENING_MEMBERS is empty" >&2
  exit 1
fi

echo "== SCRAM users"
for user in screening watchlist-publisher console "${members[@]}"; do
  kafka-configs.sh --bootstrap-server "$bootstrap" --command-config "$admin_config" \
    --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(password "$user")]"
done

echo "== topics"
create() {
  kafka-topics.sh --bootstrap-server "$bootstrap" --command-config "$admin_config" \
    --create --if-not-exists --partitions "$partitions" --replication-factor 1 --topic "$@"
}
create watchlist --config cleanup.policy=compact
create rules --config cleanup.policy=compact
create watchlist.links --config cleanup.policy=compact
create alerts
create dlq.payments
create audit
create console.proposals --config cleanup.policy=compact
create console.users --config cleanup.policy=compact
for member in "${members[@]}"; do
  create "payments.$member"
  create "decisions.$member"
  create "resolutions.$member"
done

echo "== ACLs from $plan"
if [[ ! -s $plan ]]; then
  echo "kafka-init.sh: no ACL plan at $plan (service acl-plan)" >&2
  exit 1
fi
sh "$plan"
kafka-acls.sh --bootstrap-server "$bootstrap" --command-config "$admin_config" --list
