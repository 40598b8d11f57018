package dev.anvil.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One step of a component's schema: statements separated by lines that end with {@code ;}. Applied
 * once, in version order; its checksum is recorded, so a step changed after it was applied is
 * noticed at the next start instead of leaving two stores with different schemas of one version.
 *
 * @param version 1, 2, ... in the order of application
 * @param description what the step does, recorded with it
 * @param sql the statements; {@code --} lines are comments
 */
public record Migration(int version, String description, String sql) {
  public Migration {
    if (version < 1) {
      throw new IllegalArgumentException("a migration version starts at 1, was " + version);
    }
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(sql, "sql");
    if (statements(sql).isEmpty()) {
      throw new IllegalArgumentException("migration " + version + " has no statement");
    }
  }

  /**
   * A migration read from a class-path resource next to {@code anchor}.
   *
   * @throws IllegalArgumentException if there is no such resource
   */
  public static Migration resource(
      int version, String description, Class<?> anchor, String resource) {
    try (InputStream in = anchor.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "no migration resource " + resource + " next to " + anchor.getName());
      }
      return new Migration(
          version, description, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read migration resource " + resource, e);
    }
  }

  /** SHA-256 of the statements, comments and blank lines left out. */
  public String checksum() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String s : statements(sql)) {
        md.update(s.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** The statements, in order, without their terminating {@code ;}. */
  public List<String> statements() {
    return statements(sql);
  }

  private static List<String> statements(String sql) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : sql.split("\n", -1)) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("--")) {
        continue;
      }
      if (!current.isEmpty()) {
        current.append('\n');
      }
      if (t.endsWith(";")) {
        current.append(t, 0, t.length() - 1);
        out.add(current.toString().strip());
        current.setLength(0);
      } else {
        current.append(t);
      }
    }
    if (!current.toString().isBlank()) {
      out.add(current.toString().strip());
    }
    return out;
  }
}
