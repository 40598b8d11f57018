package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkIndex;

/**
 * An index and the model of its vectors. A request takes the serving slot once, so its query is
 * always embedded by the model of the vectors it searches.
 *
 * @param dir the index directory, relative to the engine's root ("." for the first one)
 * @param modelDir the model's directory; null for the model the engine was opened with
 * @param index the index
 * @param embedder the model
 */
public record Slot(String dir, String modelDir, ChunkIndex index, Embedder embedder) {
  /**
   * @throws ContextException if the index holds another model's vectors than {@code embedder}'s: a
   *     query embedded by one model is never searched against another's vectors
   */
  public Slot {
    if (!index.modelId().equals(embedder.modelId())) {
      throw new ContextException(
          "index "
              + dir
              + " holds vectors of model "
              + index.modelId()
              + ", but queries would be embedded by "
              + embedder.modelId());
    }
  }
}
