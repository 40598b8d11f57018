package dev.anvil.trainer.data;

import java.util.List;

/**
 * The job's owner may not train on some examples (or their tags are invalid), or may not build on
 * its base model; {@link #offending()} lists them with the reason, e.g. {@code train.jsonl:17:
 * denied by policy default-deny}.
 */
public final class TrainingDeniedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> offending;
  private final int total;

  public TrainingDeniedException(String owner, List<String> offending, int total) {
    super(
        owner
            + " may not train on "
            + total
            + " example"
            + (total == 1 ? "" : "s")
            + ":\n  "
            + String.join("\n  ", offending)
            + (total > offending.size()
                ? "\n  ... and " + (total - offending.size()) + " more"
                : ""));
    this.offending = List.copyOf(offending);
    this.total = total;
  }

  private TrainingDeniedException(String message, String offending) {
    super(message);
    this.offending = List.of(offending);
    this.total = 1;
  }

  /** The owner may not build on the base model {@code model}: {@code reason} says why. */
  public static TrainingDeniedException baseModel(String owner, String model, String reason) {
    String line = "base model " + model + ": " + reason;
    return new TrainingDeniedException(owner + " may not build on " + line, line);
  }

  /** The offending examples (the first {@link Governance#MAX_LISTED}), with reasons. */
  public List<String> offending() {
    return offending;
  }

  /** How many examples were refused in all. */
  public int total() {
    return total;
  }
}
