/**
 * The documents topic: records consumed into the index (invalid ones to a dead-letter topic with
 * their reason, offsets committed only after the index commit that holds their records), and the
 * producer that writes documents to it. Only {@code kafka-clients}; the broker is the customer's.
 */
package dev.anvil.context.ingest.kafka;
