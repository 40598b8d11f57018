package dev.anvil.context.serving;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.anvil.context.api.ContextException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Which index (and model) an engine serves, and the previous one kept for rollback: {@code
 * serving.json} in the engine's index directory, replaced atomically when the model switches. No
 * file: the directory itself is the index, of the model the engine was opened with.
 *
 * @param index the serving index, relative to the engine's directory ("." for the first one)
 * @param modelDir the serving model's directory; null for the model the engine is opened with
 * @param previousIndex the previous index, still written to (null if none)
 * @param previousModelDir the previous model's directory (null: the model opened with)
 */
record ServingState(String index, String modelDir, String previousIndex, String previousModelDir) {
  static final String FILE = "serving.json";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().create();

  /** The state in {@code root}, or null when there is none (the first model, in the root). */
  static ServingState read(Path root) {
    Path file = root.resolve(FILE);
    if (!Files.exists(file)) {
      return null;
    }
    try {
      ServingState s = GSON.fromJson(Files.readString(file), ServingState.class);
      if (s == null || s.index() == null) {
        throw new ContextException(file + ": no 'index' field");
      }
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (com.google.gson.JsonParseException e) {
      throw new ContextException(file + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  /** Replaces the state in {@code root} atomically (written, synced, renamed). */
  void write(Path root) {
    Path tmp = root.resolve(FILE + ".tmp");
    try {
      Files.writeString(tmp, GSON.toJson(this) + "\n");
      try (var ch =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(
          tmp,
          root.resolve(FILE),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + root.resolve(FILE), e);
    }
  }
}
