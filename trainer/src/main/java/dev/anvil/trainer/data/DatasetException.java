package dev.anvil.trainer.data;

import java.util.List;

/** A data set that cannot be used; every problem names {@code file:line} and the field. */
public final class DatasetException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public DatasetException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
