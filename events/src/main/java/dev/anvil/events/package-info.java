/**
 * Anvil's events on Kafka, shared by every component that publishes: the envelope of
 * docs/events.md, topic creation, producer settings for records that must not be lost, and W3C
 * trace context in record headers. Only {@code kafka-clients}; the broker is the customer's.
 */
package dev.anvil.events;
