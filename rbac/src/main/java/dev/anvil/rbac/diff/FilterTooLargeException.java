package dev.anvil.rbac.diff;

import dev.anvil.rbac.input.RbacException;

/**
 * A policy diff was refused before any index was asked: for one subject and action, the filter that
 * counts what the change exposes or hides is larger or deeper than an index runs as one query (see
 * {@link DiffIndex#MAX_NODES} and {@link DiffIndex#MAX_DEPTH}). The message names the subject, the
 * action and the limit. It is the proposal's (or the set in force's) fault, never the index's.
 */
public final class FilterTooLargeException extends RbacException {
  private static final long serialVersionUID = 1L;

  FilterTooLargeException(String message) {
    super(message);
  }
}
