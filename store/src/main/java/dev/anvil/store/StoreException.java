package dev.anvil.store;

/**
 * The store failed: a statement the database refused, a schema that does not match this Anvil, or a
 * database that cannot be reached. Unchecked; see {@link RetriableStoreException} for failures a
 * retry can cure.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
