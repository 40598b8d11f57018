package dev.anvil.store;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A component's schema as the steps that build it (judgments, jobs, models, ...). Each component
 * has versions of its own, so components evolve apart in one store.
 *
 * @param component a short name, e.g. {@code judgments}
 * @param steps versions 1, 2, ... n, in order
 */
public record Migrations(String component, List<Migration> steps) {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  public Migrations {
    Objects.requireNonNull(component, "component");
    if (!NAME.matcher(component).matches()) {
      throw new IllegalArgumentException(
          "a component is named by 1 to 64 of a-z, 0-9 and _, was '" + component + "'");
    }
    steps = List.copyOf(steps);
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).version() != i + 1) {
        throw new IllegalArgumentException(
            component
                + ": expected migration "
                + (i + 1)
                + " at position "
                + (i + 1)
                + ", found version "
                + steps.get(i).version());
      }
    }
  }

  /** The components's steps. */
  public static Migrations of(String component, Migration... steps) {
    return new Migrations(component, List.of(steps));
  }

  /** The version the steps reach. */
  public int latest() {
    return steps.size();
  }
}
