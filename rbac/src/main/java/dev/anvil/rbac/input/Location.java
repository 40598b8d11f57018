package dev.anvil.rbac.input;

import java.util.Objects;

/**
 * A place in a user-supplied file, shown to users as {@code file:line:column} (both 1-based).
 *
 * @param file the file name as the user gave it (or a descriptive name for in-memory sources)
 * @param line 1-based line
 * @param column 1-based column
 */
public record Location(String file, int line, int column) {
  public Location {
    Objects.requireNonNull(file, "file");
    if (line < 1) {
      throw new IllegalArgumentException("line must be >= 1, was " + line);
    }
    if (column < 1) {
      throw new IllegalArgumentException("column must be >= 1, was " + column);
    }
  }

  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }
}
