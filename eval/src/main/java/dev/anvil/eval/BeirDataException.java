package dev.anvil.eval;

/**
 * A BEIR folder that cannot give the split asked for: a missing or malformed file, or a carved
 * split with no query. The message names the folder, the file and, where there is one, the line.
 */
public final class BeirDataException extends IllegalArgumentException {
  public BeirDataException(String message) {
    super(message);
  }

  public BeirDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
