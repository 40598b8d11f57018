package dev.anvil.trainer.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A whole corpus read from a {@link CorpusSource}, page after page, within a bound on its size.
 *
 * @param passages every passage, in document id then chunk order
 * @param policyVersions the policy versions that decided the pages (more than one if the policies
 *     changed while it was read)
 * @param origin what was asked of whom, recorded in the data set's provenance as is
 */
public record EngineCorpus(
    List<Passage> passages, List<String> policyVersions, Map<String, Object> origin) {

  /** Most passages a job may ask for: they are held in memory while pairs are made. */
  public static final int MAX_PASSAGES = 100_000;

  public EngineCorpus {
    passages = List.copyOf(passages);
    policyVersions = List.copyOf(policyVersions);
  }

  /**
   * Reads every passage of {@code tags} from {@code source}.
   *
   * @param maxPassages at most this many (1 to {@link #MAX_PASSAGES})
   * @throws CorpusTooLargeException if the corpus holds more than {@code maxPassages}
   * @throws CorpusUnavailableException if the source refuses or cannot be reached
   */
  public static EngineCorpus read(
      CorpusSource source, Map<String, List<String>> tags, int maxPassages) {
    if (maxPassages < 1 || maxPassages > MAX_PASSAGES) {
      throw new IllegalArgumentException(
          "max passages: expected 1 to " + MAX_PASSAGES + ", was " + maxPassages);
    }
    List<Passage> all = new ArrayList<>();
    TreeSet<String> versions = new TreeSet<>();
    String after = "";
    while (true) {
      // One more than the room left: a corpus just over the bound is told apart from one at it.
      int ask = Math.min(CorpusSource.MAX_PAGE, maxPassages - all.size() + 1);
      CorpusSource.Page page = source.page(tags, after, ask);
      if (page.passages().isEmpty()) {
        break;
      }
      all.addAll(page.passages());
      versions.add(page.policyVersion());
      if (all.size() > maxPassages) {
        throw new CorpusTooLargeException(maxPassages);
      }
      String last = page.passages().getLast().documentId();
      if (last.compareTo(after) <= 0) {
        // A source that does not move forward would be read forever.
        throw new CorpusUnavailableException(
            source.name() + " returned document '" + last + "' again after '" + after + "'",
            CorpusUnavailableException.Reason.FAILED,
            null);
      }
      after = last;
    }
    Map<String, Object> origin = new TreeMap<>();
    origin.put("source", source.name());
    origin.put("tags", new TreeMap<>(tags));
    origin.put("policy_versions", List.copyOf(versions));
    return new EngineCorpus(all, List.copyOf(versions), origin);
  }

  /** The corpus holds more passages than the job allows. */
  public static final class CorpusTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CorpusTooLargeException(int max) {
      super(
          "the corpus holds more than "
              + max
              + " passages: narrow data.engine.tags or raise data.engine.max_passages (at most "
              + MAX_PASSAGES
              + ")");
    }
  }
}
