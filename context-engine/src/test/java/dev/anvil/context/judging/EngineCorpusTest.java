package dev.anvil.context.judging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.judge.spi.Rankings;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine as judgments' corpus: policy-filtered reads and each retriever's own ranking. */
class EngineCorpusTest {
  @TempDir Path dir;

  @Test
  void rankingsAndChunksAreOnlyWhatThePrincipalMayReadEachRetrieverScoredApart() {
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    try (ContextEngine engine =
        ContextEngine.open(
            dir.resolve("index"), PolicyStore.open(TestPacks.example()), SharedEmbedder.get())) {
      Map<String, Object> internal =
          Map.of("classification", "internal", "department", List.of("engineering"));
      Map<String, Object> confidential =
          Map.of("classification", "confidential", "department", List.of("engineering"));
      engine.ingest(
          people.find("kafka-connector").orElseThrow(),
          List.of(
              new Document("a", 1, "Deploys", "Deploy with a canary.", "t://a", internal),
              new Document("b", 1, "Rollbacks", "Roll a deploy back fast.", "t://b", internal),
              new Document("k", 1, "Keys", "Deploy keys rotate.", "t://k", confidential)));
      HashEmbedder teacher = HashEmbedder.of("teacher", 384);
      EngineCorpus corpus = new EngineCorpus(engine, Optional.of(teacher));
      Principal abe = people.find("abe").orElseThrow(); // internal clearance only
      Principal ada = people.find("ada").orElseThrow();

      Rankings forAbe = corpus.rank(abe, "deploy", 10);
      assertThat(forAbe.chunks().keySet()).containsExactlyInAnyOrder("a#0", "b#0");
      assertThat(forAbe.retrievers().keySet())
          .containsExactlyInAnyOrder("bm25", "dense", "teacher");
      assertThat(corpus.chunk(abe, "k", 0)).isEmpty();
      assertThat(corpus.chunk(abe, "nope", 0)).isEmpty();

      Rankings forAda = corpus.rank(ada, "deploy", 10);
      assertThat(forAda.chunks()).containsKey("k#0");
      assertThat(forAda.chunks().get("k#0").vector()).hasSize(384);
      assertThat(forAda.fused()).containsExactlyInAnyOrderElementsOf(forAda.chunks().keySet());
      for (List<Rankings.Scored> list : forAda.retrievers().values()) {
        assertThat(list).isSortedAccordingTo((x, y) -> Double.compare(y.score(), x.score()));
      }
      // The teacher re-ranks what the retrievers found, by its own cosine.
      assertThat(forAda.retrievers().get("teacher"))
          .extracting(Rankings.Scored::key)
          .containsExactlyInAnyOrderElementsOf(forAda.chunks().keySet());
      assertThat(corpus.chunk(ada, "k", 0).orElseThrow().text()).isEqualTo("Deploy keys rotate.");
      assertThat(forAda.modelId()).isEqualTo(engine.modelId());
    }
  }
}
