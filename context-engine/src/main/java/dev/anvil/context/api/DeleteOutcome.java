package dev.anvil.context.api;

/** What a delete by id did, for the caller who asked. */
public sealed interface DeleteOutcome {
  /** The document was deleted. */
  record Deleted(String policyVersion) implements DeleteOutcome {}

  /** No such document, or the caller may not even read it (existence is not revealed). */
  record NotFound(String policyVersion) implements DeleteOutcome {}

  /** The caller may read the document but not delete it. */
  record Denied(String policy, String policyVersion) implements DeleteOutcome {}
}
