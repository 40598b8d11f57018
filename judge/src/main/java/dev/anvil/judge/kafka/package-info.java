/** Judgments to a Kafka topic: the outbox of the store drained by a publisher. */
package dev.anvil.judge.kafka;
