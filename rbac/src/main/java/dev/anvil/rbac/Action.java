package dev.anvil.rbac;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a principal wants to do. Document actions are decided on the document's tags; model actions
 * on the model's <i>lineage</i> (the tags it inherited from its training data, as its card records
 * them); {@code SUBMIT}, {@code ADMIN} and {@code AUDIT} on no tags at all, so their conditions may
 * name only the principal (a condition on {@code doc} cannot be evaluated: it never allows, and a
 * deny on it applies).
 */
public enum Action {
  /** Read a document (search, get). */
  READ,
  /** Add or replace a document. */
  INGEST,
  /** Remove a document. */
  DELETE,
  /** Use a document's content as a training example. */
  TRAIN,
  /** Submit training jobs (the data is decided example by example with {@code TRAIN}). */
  SUBMIT,
  /** Read a model: its card, its files, its job's events. Decided on the model's lineage. */
  READ_MODEL,
  /** Put a model in service: pass it to the gate and switch an engine to it. On its lineage. */
  PROMOTE,
  /**
   * Put a model in service without a passing gate verdict against the model in service (a
   * break-glass, audited apart). On the model's lineage; {@code PROMOTE} is needed as well.
   */
  OVERRIDE_GATE,
  /**
   * Judge a search result: label how relevant a chunk is to a query, or adjudicate the labels of
   * others. Decided on the chunk's tags; {@code READ} is needed as well (no one judges what they
   * may not see).
   */
  JUDGE,
  /** Administer Anvil: see and cancel every job. */
  ADMIN,
  /**
   * Audit Anvil without administering it: open the admin console to read the policies, the audit
   * log, jobs and models, but change nothing. Decided on the principal alone, like {@code ADMIN}.
   */
  AUDIT;

  /** Whether the action is decided on tags (a document's or a model's lineage). */
  public boolean onTags() {
    return this != SUBMIT && this != ADMIN && this != AUDIT;
  }

  /** The name used in policy files and on the command line: {@code read}, {@code ingest}, ... */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses a policy-file name; empty if there is no such action. */
  public static Optional<Action> fromId(String id) {
    return Arrays.stream(values()).filter(a -> a.id().equals(id)).findFirst();
  }

  /** Every action's id, comma-separated, for error messages. */
  public static String allIds() {
    return Arrays.stream(values()).map(Action::id).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return id();
  }
}
