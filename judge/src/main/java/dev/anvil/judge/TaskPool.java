package dev.anvil.judge;

import dev.anvil.judge.internal.Ids;
import dev.anvil.judge.internal.ItemScorer;
import dev.anvil.judge.internal.TaskRows;
import dev.anvil.judge.spi.Corpus;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.judge.spi.Rankings;
import dev.anvil.rbac.Principal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A new task and its items: each query ranked as the creator (so the task holds only what the
 * creator may read), each result valued by {@link ItemScorer}, each item given a random id.
 */
record TaskPool(Task task, List<TaskRows.NewItem> items) {

  static TaskPool rank(
      Corpus corpus, Principal creator, TaskSpec spec, String policyVersion, Instant now) {
    List<ItemScorer.QueryRankings> ranked = new ArrayList<>();
    String model = "";
    String version = policyVersion;
    for (int q = 0; q < spec.queries().size(); q++) {
      Rankings r = corpus.rank(creator, spec.queries().get(q), spec.depth());
      ranked.add(new ItemScorer.QueryRankings(q, r));
      model = r.modelId();
      version = r.policyVersion();
    }
    Task task =
        new Task(
            spec.id(),
            spec.name(),
            spec.queries(),
            spec.overlap(),
            spec.adjudicatorRole(),
            creator.subject(),
            model,
            version,
            0,
            now);
    List<TaskRows.NewItem> items = new ArrayList<>();
    for (ItemScorer.Scored s : ItemScorer.score(ranked, spec.depth())) {
      CorpusChunk c = s.chunk();
      Item item =
          new Item(
              Ids.random("it-"),
              task.id(),
              spec.queries().get(s.queryNo()),
              c.documentId(),
              c.chunk(),
              c.version(),
              Judging.sha256(c.text()),
              c.tags(),
              s.rankFused(),
              s.ranks(),
              s.value(),
              model,
              version);
      items.add(new TaskRows.NewItem(s.queryNo(), item));
    }
    return new TaskPool(task, items);
  }
}
