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
}
