package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.rbac.PolicyStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Opens, closes and deletes the slots of one engine: every slot's index lives under the same root
 * and backend, holds chunks cut the same way, and is read with the schema in force; its model is
 * the engine's own or one loaded from a model directory. Stateless beyond that configuration.
 *
 * @param root the engine's data directory
 * @param backend where the indexes live
 * @param policies the policies in force (their schema reads the tags)
 * @param base the model of an index that never switched
 * @param models loads the model directories the engine switched to
 * @param chunking how the engine cuts chunks (every slot must hold chunks cut so)
 */
record SlotOpener(
    Path root,
    IndexBackend backend,
    PolicyStore policies,
    Embedder base,
    Function<Path, Embedder> models,
    String chunking) {

  SlotOpener {
    try {
      // serving.json lives here whatever the backend (a cluster keeps no files of ours).
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new ContextException("cannot create the data directory " + root + ": " + e, e);
    }
  }

  /** The slot a record names, its model loaded; nothing stays open if it fails. */
  Slot open(ServingRecord.Place place) {
    String modelDir = place.modelDir();
    Embedder e = modelDir == null ? base : models.apply(Path.of(modelDir));
    try {
      return open(place.dir(), modelDir, e);
    } catch (RuntimeException ex) {
      if (e != base) {
        e.close();
      }
      throw ex;
    }
  }

  /** The index in {@code dir} for vectors of {@code e}, loaded from {@code modelDir}. */
  Slot open(String dir, String modelDir, Embedder e) {
    return new Slot(
        dir,
        modelDir,
        backend.open(
            root, dir, e.modelId(), modelDir, e.dimension(), chunking, policies.current().schema()),
        e);
  }

  /** Closes the slot's index, and its model unless it is the engine's own. */
  void close(Slot slot) {
    slot.index().close();
    if (slot.embedder() != base) {
      slot.embedder().close();
    }
  }

  /**
   * Deletes the index in {@code dir}. The first index shares the embedded data directory, so there
   * only the index's files go.
   */
  void delete(String dir) {
    if (backend instanceof IndexBackend.Embedded && dir.equals(".")) {
      LuceneIndex.clear(root);
    } else {
      backend.drop(root, dir);
    }
  }

  /** Where a model's re-embedding builds its index: one directory per model id. */
  static String dirFor(Embedder model) {
    return "models/" + model.modelId().replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** The record's entry for {@code slot}. */
  static ServingRecord.Place place(Slot slot) {
    return new ServingRecord.Place(slot.dir(), slot.modelDir());
  }
}
