package dev.anvil.trainer.promote;

import java.util.List;

/**
 * A gate that cannot decide as configured: rules that cannot be used (each problem names its file
 * and field), or a set of the test split (named by the option or field that gave it).
 */
public final class GateRulesException extends RuntimeException {
  private final List<String> problems;

  public GateRulesException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
