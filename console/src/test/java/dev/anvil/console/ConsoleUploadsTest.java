package dev.anvil.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console spools large uploads in a directory of its own, and removes it when it stops. */
class ConsoleUploadsTest {
  @TempDir Path data;

  static Set<Path> uploadDirectories() throws Exception {
    try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return tmp.filter(p -> p.getFileName().toString().startsWith("anvil-console-uploads"))
          .collect(Collectors.toSet());
    }
  }

  @Test
  void aStoppedConsoleLeavesNoUploadDirectoryBehind() throws Exception {
    Set<Path> before = uploadDirectories();
    Set<Path> ours = new HashSet<>();
    try (ConsoleFixture console = ConsoleFixture.start(data)) {
      ours.addAll(uploadDirectories());
      ours.removeAll(before);
      assertThat(ours).hasSize(1);
    }
    assertThat(ours).allSatisfy(dir -> assertThat(dir).doesNotExist());
  }
}
