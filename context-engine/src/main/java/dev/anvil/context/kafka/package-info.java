/**
 * Kafka: the documents topic consumed into the index (invalid records to a dead-letter topic,
 * offsets committed only after the index commit that holds their records) and the audit log shipped
 * to an audit topic. Only {@code kafka-clients}; the broker is the customer's.
 */
package dev.anvil.context.kafka;
