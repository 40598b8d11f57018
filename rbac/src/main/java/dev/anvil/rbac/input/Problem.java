package dev.anvil.rbac.input;

import java.util.Objects;

/**
 * One thing wrong with user input, and where it is.
 *
 * @param location where the problem is
 * @param message what was expected and what was found
 */
public record Problem(Location location, String message) {
  public Problem {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return location + ": " + message;
  }
}
