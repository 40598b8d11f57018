package dev.anvil.trainer.job;

import java.util.List;

/** A job spec that cannot be run; each problem names the file and the field. */
public final class JobSpecException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public JobSpecException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
