package dev.anvil.eval.snapshot;

/**
 * A snapshot that cannot be written or read: a missing or malformed file, a field out of its limit,
 * or contents that no longer match the snapshot's id. The message names the file, the line and the
 * field where there is one.
 */
public final class SnapshotException extends IllegalArgumentException {
  public SnapshotException(String message) {
    super(message);
  }

  public SnapshotException(String message, Throwable cause) {
    super(message, cause);
  }
}
