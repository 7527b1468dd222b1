#!/bin/sh
# Kafka for deploy/compose.yaml: one KRaft node whose clients authenticate with SASL/SCRAM-SHA-512.
# The user `msa` is created with MSA_KAFKA_SASL_PASSWORD when the storage is first formatted (deploy/gen_env.py
# generates it; there is no default). The same listener settings as `msa infra up` with
# MSA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT (msa/infra/kafka_broker.py, tested in tests/integration/test_kafka_sasl.py).
set -eu
: "${MSA_KAFKA_SASL_PASSWORD:?set MSA_KAFKA_SASL_PASSWORD (python3 deploy/gen_env.py)}"
case "$MSA_KAFKA_SASL_PASSWORD" in *[!A-Za-z0-9_.-]*) echo "MSA_KAFKA_SASL_PASSWORD: use [A-Za-z0-9_.-]" >&2; exit 2;; esac
DATA=/var/lib/kafka/data
CONF=/tmp/server.properties
umask 077
cat > "$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://localhost:9093
advertised.listeners=SASL_PLAINTEXT://kafka:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="msa" password="$MSA_KAFKA_SASL_PASSWORD";
log.dirs=$DATA
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
CONF
# for the health check (kafka-topics.sh --command-config)
cat > /tmp/client.properties <<CONF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="msa" password="$MSA_KAFKA_SASL_PASSWORD";
CONF
if [ ! -f "$DATA/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$CONF" \
    --add-scram "SCRAM-SHA-512=[name=msa,password=$MSA_KAFKA_SASL_PASSWORD]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF"
