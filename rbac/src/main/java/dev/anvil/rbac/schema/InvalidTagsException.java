package dev.anvil.rbac.schema;

import dev.anvil.rbac.input.RbacException;
import java.util.List;

/**
 * A document's tags do not satisfy the schema. The document must be rejected, never stored as if it
 * were public. {@link #problems()} names each offending tag and what was expected.
 */
public final class InvalidTagsException extends RbacException {
  private static final long serialVersionUID = 1L;

  private final transient List<TagProblem> problems;

  public InvalidTagsException(List<TagProblem> problems) {
    super(
        "invalid tags: " + String.join("; ", problems.stream().map(TagProblem::toString).toList()));
    this.problems = List.copyOf(problems);
  }

  /** What is wrong, one entry per tag. */
  public List<TagProblem> problems() {
    return problems;
  }

  /**
   * One tag's problem.
   *
   * @param tag the tag name
   * @param message what was expected and what was found
   */
  public record TagProblem(String tag, String message) {
    @Override
    public String toString() {
      return "tag '" + tag + "': " + message;
    }
  }
}
