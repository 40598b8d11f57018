package dev.anvil.judge;

import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.store.Store;
import dev.anvil.store.TestStores;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Judgments over a small in-memory corpus under the example policy pack: engineering documents
 * (internal and confidential), a public finance page, and HR compensation data.
 */
final class Fixture implements AutoCloseable {
  static final PolicyPack PACK = TestPacks.example();
  static final PrincipalDirectory PEOPLE = PrincipalDirectory.load(PACK.principalsFile());

  static final Map<String, Object> ENG_INTERNAL =
      Map.of("classification", "internal", "department", List.of("engineering"));
  static final Map<String, Object> ENG_CONFIDENTIAL =
      Map.of("classification", "confidential", "department", List.of("engineering"));
  static final Map<String, Object> FINANCE_PUBLIC =
      Map.of("classification", "public", "department", List.of("finance"));
  static final Map<String, Object> HR_PAY =
      Map.of(
          "classification",
          "confidential",
          "department",
          List.of("hr"),
          "topics",
          List.of("compensation"));

  final PolicyStore policies = PolicyStore.open(PACK);
  final MemoryCorpus corpus = new MemoryCorpus(policies);
  final Store store;
  final Judging judging;

  Fixture(TestStores.Backend backend, Path dir, boolean publish) {
    this.store = TestStores.open(backend, dir);
    this.judging = Judging.open(store, corpus, Clock.systemUTC(), publish);
  }

  static Principal who(String name) {
    return PEOPLE.find(name).orElseThrow();
  }

  /** One query over: an internal and a confidential engineering chunk, finance, HR pay. */
  Fixture mixedCorpus() {
    corpus
        .put("eng/cache", 0, 3, "The cache is invalidated on every deploy.", ENG_INTERNAL, 1, 0, 0)
        .put("eng/keys", 0, 1, "Signing keys rotate every 90 days.", ENG_CONFIDENTIAL, 0, 1, 0)
        .put("fin/prices", 0, 1, "List prices for 2027.", FINANCE_PUBLIC, 0, 0, 1)
        .put("hr/bands", 0, 1, "Salary bands by level.", HR_PAY, 0.7f, 0.7f, 0)
        .rank(
            "how do we deploy",
            "bm25",
            "eng/cache#0",
            9.0,
            "eng/keys#0",
            4.0,
            "fin/prices#0",
            2.0,
            "hr/bands#0",
            1.0)
        .rank(
            "how do we deploy",
            "dense",
            "eng/keys#0",
            0.8,
            "eng/cache#0",
            0.7,
            "hr/bands#0",
            0.5,
            "fin/prices#0",
            0.1);
    return this;
  }

  Task task(String id, int overlap, String creator) {
    return judging.createTask(
        who(creator),
        new TaskSpec(id, "", List.of("how do we deploy"), overlap, TaskSpec.DEFAULT_DEPTH, ""));
  }

  /** The item of {@code doc} in a task. */
  Item item(Task task, String doc) {
    return store.transaction(c -> dev.anvil.judge.internal.TaskRows.items(c, task.id())).stream()
        .filter(i -> i.documentId().equals(doc))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no item of " + doc + " in " + task.id()));
  }

  Judgment submit(String who, Item item, int label) {
    return judging.label(
        who(who), new LabelRequest(item.id(), label, Status.SUBMITTED, "", ""), Source.EXPERT);
  }

  @Override
  public void close() {
    store.close();
  }
}
