package dev.anvil.context.api;

import java.util.List;

/**
 * Where a caller of the engine's writes has them recorded: the engine calls it with the documents
 * of each write after deciding it and <em>before</em> making it, and with the documents it refused.
 * An implementation makes the record durable before returning and throws if it cannot; the write is
 * then not made (fail closed, as reads are: no answer without its audit record).
 *
 * <p>The gRPC service records each call's writes with the token's user and agent, the Kafka
 * ingestor with its topic's identity, the CLI with its principal.
 */
@FunctionalInterface
public interface WriteAudit {
  /** Records nothing: for tests and embedded use where no audit log is kept. */
  WriteAudit NONE = (action, ids, policyVersion, status) -> {};

  /**
   * Records a write about to be made, or a refusal.
   *
   * @param action {@code ingest}, {@code delete}, {@code switch_model}, ...
   * @param ids the documents (or models) involved
   * @param policyVersion the policy set that decided
   * @param status {@code OK} for a write about to be made; for a refusal, its gRPC status name
   *     ({@code PERMISSION_DENIED}, {@code INVALID_ARGUMENT}, {@code ALREADY_EXISTS})
   * @throws RuntimeException if the record cannot be made durable: the write is not made
   */
  void record(String action, List<String> ids, String policyVersion, String status);
}
