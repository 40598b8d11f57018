package dev.anvil.rbac.input;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A tag schema, policy, principal or policy-test file was refused. Carries every problem found,
 * each with its {@code file:line:column}, so an admin can fix them all in one pass.
 */
public final class PolicyLoadException extends RbacException {
  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;

  public PolicyLoadException(List<Problem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
    if (this.problems.isEmpty()) {
      throw new IllegalArgumentException("a PolicyLoadException needs at least one problem");
    }
  }

  /** The problems, in file order. */
  public List<Problem> problems() {
    return problems;
  }

  private static String render(List<Problem> problems) {
    return problems.size() == 1
        ? problems.getFirst().toString()
        : problems.size()
            + " problems:\n"
            + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n"));
  }
}
