package dev.anvil.judge.spi;

import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.util.Optional;

/**
 * The documents judged, read as a principal: implemented by the context engine. Every method
 * decides {@code read} for the principal with the policy in force, so nothing the principal may not
 * read ever reaches judgments. Implementations are thread-safe.
 */
public interface Corpus {
  /** A chunk, if it exists and {@code principal} may read it; empty otherwise, whichever. */
  Optional<CorpusChunk> chunk(Principal principal, String documentId, int chunk);

  /**
   * Each retriever's first {@code depth} results for {@code query}, within what {@code principal}
   * may read.
   */
  Rankings rank(Principal principal, String query, int depth);

  /** The policies in force (the engine's). */
  PolicyStore policies();
}
