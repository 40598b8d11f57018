package dev.anvil.trainer.model;

/**
 * Weights or a model directory that cannot be read; the message names the file and what is wrong.
 */
public final class ModelFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
