package dev.anvil.trainer.synth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.anvil.trainer.data.Datasets;
import dev.anvil.trainer.data.Example;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synthetic pairs: each kind as specified, negatives as promised, deterministic, versioned. */
class PairSynthesizerTest {
  @TempDir Path dir;

  static final Map<String, Object> ENG =
      Map.of("classification", "internal", "department", List.of("engineering"));
  static final Map<String, Object> HR =
      Map.of("classification", "confidential", "department", List.of("hr"));

  static List<Passage> corpus() {
    List<Passage> out = new ArrayList<>();
    String[] topics = {"kernel", "cluster", "latency", "storage", "network", "release"};
    for (int i = 0; i < 24; i++) {
      String t = topics[i % topics.length];
      out.add(
          new Passage(
              "eng-" + i,
              i + 1,
              0,
              "Notes on the " + t + " " + i,
              "The "
                  + t
                  + " work went well this week. We measured the "
                  + t
                  + " again after the change. Number "
                  + i
                  + " of the series shows the "
                  + t
                  + " trend across every team and every region we run in today.",
              i % 4 == 3 ? HR : ENG));
    }
    return out;
  }

  @Test
  void eachKindIsMadeAsSpecified() {
    List<Passage> corpus = corpus();
    List<SyntheticPair> pairs = PairSynthesizer.synthesize(corpus, SynthesisSettings.defaults(7));
    Passage first = corpus.getFirst();
    List<SyntheticPair> ofFirst = pairs.stream().filter(p -> p.source() == first).toList();
    assertThat(ofFirst)
        .extracting(SyntheticPair::kind)
        .containsExactly(
            SyntheticPair.Kind.TITLE, SyntheticPair.Kind.INVERSE_CLOZE, SyntheticPair.Kind.CROP);
    SyntheticPair title = ofFirst.get(0);
    assertThat(title.query()).isEqualTo("Notes on the kernel 0");
    assertThat(title.positive()).isEqualTo(first.text());
    SyntheticPair cloze = ofFirst.get(1);
    assertThat(first.text()).contains(cloze.query());
    assertThat(cloze.positive()).doesNotContain(cloze.query());
    assertThat(cloze.positive().length() + cloze.query().length() + 1)
        .isEqualTo(first.text().length());
    SyntheticPair crop = ofFirst.get(2);
    List<String> words = Arrays.asList(first.text().split("\\s+"));
    for (String span : List.of(crop.query(), crop.positive())) {
      assertThat(first.text()).contains(span);
      int n = span.split("\\s+").length;
      assertThat(n).isBetween(words.size() / 10, words.size() / 2);
    }
  }

  @Test
  void negativesComeFromOtherDocumentsWithTheSameTagsPastTheTopRanks() {
    List<Passage> corpus = corpus();
    SynthesisSettings s = SynthesisSettings.defaults(7);
    Bm25 bm25 = new Bm25(corpus.stream().map(p -> p.title() + "\n" + p.text()).toList());
    List<SyntheticPair> pairs = PairSynthesizer.synthesize(corpus, s);
    assertThat(pairs.stream().filter(p -> p.negative().isPresent()).count())
        .isGreaterThan(pairs.size() / 2);
    for (SyntheticPair p : pairs) {
      p.negative()
          .ifPresent(
              n -> {
                assertThat(n.documentId()).isNotEqualTo(p.source().documentId());
                assertThat(n.tags()).isEqualTo(p.source().tags());
                int[] ranked = bm25.top(p.query(), s.negativeSkipTop() + s.negativeDepth());
                List<Passage> top = new ArrayList<>();
                for (int i = 0; i < Math.min(s.negativeSkipTop(), ranked.length); i++) {
                  top.add(corpus.get(ranked[i]));
                }
                assertThat(top).doesNotContain(n);
              });
    }
  }

  @Test
  void theSameCorpusAndSeedGiveTheSameDataSetByteForByte() throws Exception {
    List<Passage> corpus = corpus();
    Map<String, Object> origin = Map.of("engine", "test", "tags", Map.of());
    String a =
        SyntheticDataset.of(
                PairSynthesizer.synthesize(corpus, SynthesisSettings.defaults(7)),
                corpus,
                SynthesisSettings.defaults(7),
                origin)
            .write(dir.resolve("a"));
    String b =
        SyntheticDataset.of(
                PairSynthesizer.synthesize(corpus, SynthesisSettings.defaults(7)),
                corpus,
                SynthesisSettings.defaults(7),
                origin)
            .write(dir.resolve("b"));
    String c =
        SyntheticDataset.of(
                PairSynthesizer.synthesize(corpus, SynthesisSettings.defaults(8)),
                corpus,
                SynthesisSettings.defaults(8),
                origin)
            .write(dir.resolve("c"));
    assertThat(a).startsWith("sha256:").isEqualTo(b).isNotEqualTo(c);
    assertThat(Files.readAllBytes(dir.resolve("a").resolve(SyntheticDataset.PAIRS)))
        .isEqualTo(Files.readAllBytes(dir.resolve("b").resolve(SyntheticDataset.PAIRS)));
    assertThat(Files.readString(dir.resolve("a").resolve(SyntheticDataset.PROVENANCE)))
        .isEqualTo(Files.readString(dir.resolve("b").resolve(SyntheticDataset.PROVENANCE)));
  }

  @Test
  void addingADocumentChangesNoOtherPassagesQueries() {
    List<Passage> corpus = corpus();
    List<Passage> more = new ArrayList<>(corpus);
    more.add(new Passage("eng-new", 1, 0, "A new one", "Something else. Entirely new. Here.", ENG));
    SynthesisSettings s = SynthesisSettings.defaults(7);
    List<String> before =
        PairSynthesizer.synthesize(corpus, s).stream()
            .map(p -> p.query() + "|" + p.positive())
            .toList();
    List<String> after =
        PairSynthesizer.synthesize(more, s).stream()
            .filter(p -> !p.source().documentId().equals("eng-new"))
            .map(p -> p.query() + "|" + p.positive())
            .toList();
    assertThat(after).isEqualTo(before);
  }

  @Test
  void theDataSetIsOneTheTrainerReadsAndItsProvenanceNamesEverySource() throws Exception {
    List<Passage> corpus = corpus();
    SynthesisSettings s = SynthesisSettings.defaults(7);
    List<SyntheticPair> pairs = PairSynthesizer.synthesize(corpus, s);
    String version =
        SyntheticDataset.of(
                pairs, corpus, s, Map.of("tags", Map.of("department", List.of("engineering"))))
            .write(dir);
    List<Example> examples =
        Datasets.read(dir.resolve(SyntheticDataset.PAIRS), Datasets.Kind.PAIRS, Map.of());
    assertThat(examples).hasSize(pairs.size());
    assertThat(examples)
        .filteredOn(e -> e.tags().get("department").equals(List.of("hr")))
        .isNotEmpty();
    var provenance =
        JsonParser.parseString(Files.readString(dir.resolve(SyntheticDataset.PROVENANCE)))
            .getAsJsonObject();
    assertThat(provenance.get("version").getAsString()).isEqualTo(version);
    assertThat(provenance.getAsJsonArray("documents")).hasSize(24);
    assertThat(provenance.getAsJsonObject("kinds").get("title").getAsInt()).isEqualTo(24);
    assertThat(provenance.getAsJsonObject("settings").get("seed").getAsLong()).isEqualTo(7);
  }
}
