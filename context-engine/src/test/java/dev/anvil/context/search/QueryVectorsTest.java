package dev.anvil.context.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ForwardingEmbedder;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.embed.InputType;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The query-vector cache: what it reuses, what it never shares, and what it forgets. */
class QueryVectorsTest {
  /** Counts the texts a model embeds. */
  static final class Counting extends ForwardingEmbedder {
    final Embedder model;
    final AtomicInteger embedded = new AtomicInteger();

    Counting(String modelId) {
      this.model = HashEmbedder.of(modelId, 8);
    }

    @Override
    protected Embedder delegate() {
      return model;
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      embedded.addAndGet(texts.size());
      return super.embed(type, texts);
    }
  }

  @Test
  void theSameQueryBySameUserAndModelIsEmbeddedOnce() {
    QueryVectors cache = new QueryVectors(10);
    Counting model = new Counting("m@1");
    float[] first = cache.of("alice", model, "salary bands");
    float[] again = cache.of("alice", model, "salary bands");
    assertThat(again).containsExactly(first);
    assertThat(model.embedded).hasValue(1);
  }

  @Test
  void anotherUserOrAnotherModelNeverGetsTheCachedVector() {
    QueryVectors cache = new QueryVectors(10);
    Counting model = new Counting("m@1");
    Counting switched = new Counting("m@2");
    cache.of("alice", model, "layoffs at the Lyon site");
    // Bob's search takes as long as any first search: nothing tells him Alice asked.
    cache.of("bob", model, "layoffs at the Lyon site");
    assertThat(model.embedded).hasValue(2);
    // After a model switch the query is embedded by the new model, never served the old vector.
    float[] byNew = cache.of("alice", switched, "layoffs at the Lyon site");
    assertThat(switched.embedded).hasValue(1);
    assertThat(byNew).containsExactly(switched.model.embedQuery("layoffs at the Lyon site"));
  }

  @Test
  void theLeastRecentlyUsedGoesFirstAndLongQueriesAreNotKept() {
    QueryVectors cache = new QueryVectors(2);
    Counting model = new Counting("m@1");
    cache.of("alice", model, "a");
    cache.of("alice", model, "b");
    cache.of("alice", model, "a"); // a is now the most recent
    cache.of("alice", model, "c"); // evicts b
    assertThat(model.embedded).hasValue(3);
    cache.of("alice", model, "a");
    assertThat(model.embedded).hasValue(3);
    cache.of("alice", model, "b");
    assertThat(model.embedded).hasValue(4);

    String huge = "x".repeat(QueryVectors.MAX_CACHED_CHARS + 1);
    cache.of("alice", model, huge);
    cache.of("alice", model, huge);
    assertThat(model.embedded).hasValue(6);
  }

  @Test
  void aCallerChangingItsVectorDoesNotChangeTheNextOne() {
    QueryVectors cache = new QueryVectors(10);
    Counting model = new Counting("m@1");
    float[] mine = cache.of("alice", model, "q");
    float[] expected = mine.clone();
    mine[0] = 42f;
    assertThat(cache.of("alice", model, "q")).containsExactly(expected);
  }
}
