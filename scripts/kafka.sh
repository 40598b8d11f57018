#!/usr/bin/env bash
# Starts a development Apache Kafka broker (KRaft, one node) on 127.0.0.1, port $KAFKA_PORT
# (default 9092), with its data under .anvil/kafka (kept across restarts). The broker is the real
# one from Maven Central (org.apache.kafka:kafka_2.13), run in-process by `anvil kafka-broker`;
# `anvil demo --kafka` starts the same broker by itself.
#   ./scripts/kafka.sh &
#   ./anvil serve --dev --kafka 127.0.0.1:9092
#   ./anvil ingest --kafka 127.0.0.1:9092 examples/demo-corpus
set -euo pipefail
ANVIL_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "$ANVIL_HOME/anvil" kafka-broker --port "${KAFKA_PORT:-9092}" "$@"
