package dev.anvil.trainer.synth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Makes synthetic (query, positive, hard negative) triples from a corpus, without a generative
 * model: the title of a passage's document, a sentence taken out of the passage (inverse cloze),
 * random independent crops (as Contriever). Each query gets a hard negative drawn from BM25's ranks
 * {@code negativeSkipTop + 1} to {@code negativeSkipTop + negativeDepth}, from another document
 * with the same tags as the source: a pair then needs no more permission, and passes no more
 * classification to a model, than its source alone.
 *
 * <p>Deterministic: the same corpus and settings give the same pairs in the same order; each
 * passage's choices depend only on the seed and the passage's own id.
 */
public final class PairSynthesizer {
  private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+");
  private static final int MIN_CROP_WORDS = 20;

  private PairSynthesizer() {}

  /** The pairs of {@code corpus}, passage by passage. */
  public static List<SyntheticPair> synthesize(List<Passage> corpus, SynthesisSettings s) {
    List<String> texts = corpus.stream().map(p -> p.title() + "\n" + p.text()).toList();
    Bm25 bm25 = new Bm25(texts);
    List<SyntheticPair> out = new ArrayList<>();
    for (Passage p : corpus) {
      Random r = new Random(s.seed() * 1_000_003L + (p.documentId() + "#" + p.chunk()).hashCode());
      List<String[]> made = new ArrayList<>(); // kind, query, positive
      if (s.titles() && !p.title().isBlank() && !p.title().strip().equals(p.text().strip())) {
        made.add(new String[] {"TITLE", p.title().strip(), p.text()});
      }
      String[] sentences = SENTENCE_END.split(p.text().strip());
      if (s.inverseCloze() && sentences.length >= 3) {
        int i = r.nextInt(sentences.length);
        List<String> rest = new ArrayList<>(Arrays.asList(sentences));
        rest.remove(i);
        made.add(new String[] {"INVERSE_CLOZE", sentences[i], String.join(" ", rest)});
      }
      String[] words = p.text().strip().split("\\s+");
      for (int c = 0; c < s.crops() && words.length >= MIN_CROP_WORDS; c++) {
        made.add(new String[] {"CROP", crop(words, r), crop(words, r)});
      }
      for (String[] m : made) {
        out.add(
            new SyntheticPair(
                SyntheticPair.Kind.valueOf(m[0]),
                m[1],
                m[2],
                p,
                negative(m[1], p, corpus, bm25, s, r)));
      }
    }
    return out;
  }

  /** A span of 10% to 50% of the words, at a random place. */
  private static String crop(String[] words, Random r) {
    int min = Math.max(1, words.length / 10);
    int max = Math.max(min, words.length / 2);
    int length = min + r.nextInt(max - min + 1);
    int start = r.nextInt(words.length - length + 1);
    return String.join(" ", Arrays.copyOfRange(words, start, start + length));
  }

  private static Optional<Passage> negative(
      String query,
      Passage source,
      List<Passage> corpus,
      Bm25 bm25,
      SynthesisSettings s,
      Random r) {
    if (s.negativeDepth() == 0) {
      return Optional.empty();
    }
    int[] ranked = bm25.top(query, s.negativeSkipTop() + s.negativeDepth());
    List<Passage> candidates = new ArrayList<>();
    for (int i = s.negativeSkipTop(); i < ranked.length; i++) {
      Passage c = corpus.get(ranked[i]);
      if (!c.documentId().equals(source.documentId()) && c.tags().equals(source.tags())) {
        candidates.add(c);
      }
    }
    return candidates.isEmpty()
        ? Optional.empty()
        : Optional.of(candidates.get(r.nextInt(candidates.size())));
  }
}
