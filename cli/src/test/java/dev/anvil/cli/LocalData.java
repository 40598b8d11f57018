package dev.anvil.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A data directory of its own for each test's in-process commands ({@code anvil.data}, restored
 * after; the directory deleted), and {@link #anvil} to run a command on its local index with the
 * example policy pack. Register with {@code @RegisterExtension final LocalData data = new
 * LocalData();}.
 */
final class LocalData implements BeforeEachCallback, AfterEachCallback {
  private Path dir;
  private String previous;

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("anvil-cli-data");
    previous = System.getProperty("anvil.data");
    System.setProperty("anvil.data", dir.toString());
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    if (previous == null) {
      System.clearProperty("anvil.data");
    } else {
      System.setProperty("anvil.data", previous);
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The data directory. */
  Path dir() {
    return dir;
  }

  /** A path in the data directory. */
  Path resolve(String other) {
    return dir.resolve(other);
  }

  /** Runs {@code args} on the index in the data directory, with the example policy pack. */
  PolicyCommandTest.Run anvil(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of(
            "--index", dir.resolve("index").toString(),
            "--pack", PolicyCommandTest.examplePack().toString()));
    return PolicyCommandTest.anvil(all.toArray(String[]::new));
  }
}
