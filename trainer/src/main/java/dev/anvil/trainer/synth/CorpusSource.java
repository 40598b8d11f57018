package dev.anvil.trainer.synth;

import java.util.List;
import java.util.Map;

/**
 * Where a job's corpus is read from: the context engine, asked on behalf of the job's owner, so
 * that it returns only the passages the owner may {@code train} on (decided per document, inside
 * the engine's index, by the compiled policy). The trainer knows the engine only through this
 * interface; the command line adapts the engine's client (or a local index) to it.
 */
public interface CorpusSource {
  /** Most passages one page may be asked for (the engine's own limit). */
  int MAX_PAGE = 10_000;

  /**
   * One page: passages of documents matching {@code tags} (each tag one of its values, all tags
   * together) whose id sorts after {@code afterDocumentId} ("" for the first page), ordered by
   * document id then chunk; at most {@code max} passages, in whole documents (all of one document's
   * if it alone has more). An empty page is the end.
   *
   * @throws CorpusUnavailableException if the source refuses or cannot be reached
   */
  Page page(Map<String, List<String>> tags, String afterDocumentId, int max);

  /** Names the source in provenance and messages, e.g. {@code context engine 10.0.0.3:7070}. */
  String name();

  /**
   * A page of a corpus.
   *
   * @param passages in document id then chunk order
   * @param policyVersion the version of the policies that decided them
   */
  record Page(List<Passage> passages, String policyVersion) {
    public Page {
      passages = List.copyOf(passages);
    }
  }
}
