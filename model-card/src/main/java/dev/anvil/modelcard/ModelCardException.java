package dev.anvil.modelcard;

/** A model card that cannot be read, or one without what every card must hold; names the file. */
public final class ModelCardException extends RuntimeException {
  public ModelCardException(String message) {
    super(message);
  }

  public ModelCardException(String message, Throwable cause) {
    super(message, cause);
  }
}
