/**
 * Every write to the engine's indexes: documents validated against the tag schema, decided by the
 * policy in force, cut into chunks by the model's tokenizer, embedded and written to every serving
 * slot; deletes by id or tag query decided per document. Kafka ingestion is in {@code
 * ingest.kafka}.
 */
package dev.anvil.context.ingest;
