/**
 * Experts judge what the engine returns. {@link dev.anvil.judge.Judging} is the one entry point:
 * tasks (queries whose results are to be judged), each annotator's queue (the items where a
 * judgment is worth most), labels decided by policy ({@code read} and {@code judge} on the chunk,
 * at submission), overlap and agreement, adjudication, and the final labels the next step turns
 * into data sets. Everything is stored in Anvil's store; judgments are published to Kafka when it
 * is configured. Who acts is always a verified principal, never a field of a request.
 */
package dev.anvil.judge;
