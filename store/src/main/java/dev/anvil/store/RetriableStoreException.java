package dev.anvil.store;

/**
 * A failure that a retry of the whole transaction can cure: the database could not be reached, or
 * it aborted the transaction for a conflict with another one (serialization failure, deadlock).
 */
public class RetriableStoreException extends StoreException {
  private static final long serialVersionUID = 1L;

  public RetriableStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
