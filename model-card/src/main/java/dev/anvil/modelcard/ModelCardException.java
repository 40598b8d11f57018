package dev.anvil.modelcard;

/**
 * A model card that cannot be read, or one without what every card must hold; or a model's encoder
 * configuration ({@link EncoderConfig}) that is not valid. Names the file.
 */
public final class ModelCardException extends RuntimeException {
  public ModelCardException(String message) {
    super(message);
  }

  public ModelCardException(String message, Throwable cause) {
    super(message, cause);
  }
}
