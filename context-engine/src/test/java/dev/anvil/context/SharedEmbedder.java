package dev.anvil.context;

import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;

/** One real all-MiniLM-L6-v2 session for the whole test JVM (loading it takes a second). */
public final class SharedEmbedder {
  private static OnnxEmbedder instance;

  private SharedEmbedder() {}

  public static synchronized OnnxEmbedder get() {
    if (instance == null) {
      instance = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 2);
    }
    return instance;
  }
}
