package dev.anvil.rbac;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the example policy pack shipped in the repository's examples/ folder. */
public final class TestPacks {
  private TestPacks() {}

  /** The example pack, found by walking up from the module directory. */
  public static PolicyPack example() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("examples/policy-pack");
      if (Files.isDirectory(candidate)) {
        return new PolicyPack(candidate);
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "examples/policy-pack not found above " + Path.of("").toAbsolutePath());
  }

  /**
   * The example pack's connector identity for a document with these tags: the connector of its
   * source, or {@code kafka-connector} for a document without one.
   */
  public static String connectorFor(java.util.Map<String, ?> tags) {
    Object source = tags.get("source");
    return source == null ? "kafka-connector" : source + "-connector";
  }

  /** The id a document of these tags needs under the example schema's namespace. */
  public static String idFor(java.util.Map<String, ?> tags, String local) {
    Object source = tags.get("source");
    return source == null ? local : source + "/" + local;
  }
}
