package dev.anvil.trainer.promote;

import java.util.List;

/** Promotion rules that cannot be used; every problem names its file and field. */
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
