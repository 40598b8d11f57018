package dev.anvil.rbac.input;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The text of a schema or policy file and the name errors should use for it.
 *
 * @param name file name shown in error locations
 * @param content the YAML text
 */
public record PolicySource(String name, String content) {
  public PolicySource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(content, "content");
  }

  /** Reads a file. */
  public static PolicySource read(Path file) {
    try {
      return new PolicySource(file.toString(), Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
