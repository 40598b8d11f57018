package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.ModelInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory written by the job store of earlier versions (one folder of files per job, kept
 * as {@link FolderJobStore}) and its model directories, opened by the store-backed one: every job,
 * state, event, cancellation request and model is still there, once.
 */
class JobStoreUpgradeTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  private final Principal mia = people.find("mia").orElseThrow();
  private final Principal sam = people.find("sam").orElseThrow();

  private static final String SPEC = JobRunnerTest.spec("embedding", "pairs.jsonl", 1);

  @Test
  void everyJobStateEventAndModelOfAnOldDataDirectoryIsStillListed() throws Exception {
    Path jobs = dir.resolve("jobs");
    Path models = dir.resolve("models");
    FolderJobStore old = new FolderJobStore(jobs);
    Job queued = old.submit("tiny-embedding", SPEC, dir, mia);
    Job running = old.submit("tiny-embedding", SPEC, dir, sam);
    old.setState(running.id(), new JobState.Validating(Instant.now()));
    old.setState(running.id(), new JobState.Running(Instant.now(), 0, 12));
    for (int step = 1; step <= 5; step++) {
      old.event(
          running.id(),
          Map.of(
              "type",
              "step",
              "step",
              step,
              "total_steps",
              12,
              "loss",
              1.0 / step,
              "learning_rate",
              1e-3,
              "examples_per_second",
              40.0));
      old.setState(running.id(), new JobState.Running(Instant.now(), step, 12));
    }
    old.event(running.id(), Map.of("type", "checkpoint", "step", 4));
    // Its worker was killed while it appended: the last line is cut short.
    Files.writeString(
        running.dir().resolve("events.jsonl"),
        "{\"time\":\"2026-",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    Job succeeded = old.submit("tiny-embedding", SPEC, dir, mia);
    old.setState(
        succeeded.id(),
        new JobState.Succeeded(
            Instant.now(), models.resolve("m1").toString(), Map.of("ndcg@10", 0.5)));
    Job failed = old.submit("tiny-embedding", SPEC, dir, mia);
    old.setState(failed.id(), new JobState.Failed(Instant.now(), "mia may not train on e7"));
    Job cancelled = old.submit("tiny-embedding", SPEC, dir, mia);
    old.cancel(cancelled.id());
    Job cancelling = old.submit("tiny-embedding", SPEC, dir, mia);
    old.setState(cancelling.id(), new JobState.Running(Instant.now(), 0, 12));
    old.cancel(cancelling.id());
    Job uploaded =
        old.submit(
            "tiny-embedding",
            SPEC.replace("huggingface: model", "packaged: all-minilm-l6-v2"),
            Map.of("pairs.jsonl", "{}\n".getBytes()),
            mia);
    TinyModels.huggingFaceDir(dir.resolve("model"));
    TinyModels.write(dir.resolve("pairs.jsonl"), TinyModels.pairs());
    TinyModels.registeredBase(models, "m1", Map.of("classification", "internal"));
    Path m2 = TinyModels.registeredBase(models, "m2", Map.of("classification", "public"));
    Files.writeString(m2.resolve("model.onnx"), "not a real graph");

    List<Job> before = old.list();
    assertThat(before).hasSize(7);

    JobStore store = stores.open(jobs);
    assertThat(store.list()).containsExactlyElementsOf(before);
    for (Job j : before) {
      assertThat(store.events(j.id(), 0)).as(j.id()).isEqualTo(old.events(j.id(), 0));
      assertThat(store.history(j.id(), 2)).as(j.id()).isEqualTo(old.history(j.id(), 2));
      assertThat(store.cancelRequested(j.id())).as(j.id()).isEqualTo(old.cancelRequested(j.id()));
    }
    assertThat(store.find(running.id()).orElseThrow().state())
        .isEqualTo(old.find(running.id()).orElseThrow().state())
        .isInstanceOfSatisfying(JobState.Running.class, r -> assertThat(r.step()).isEqualTo(5));
    assertThat(store.cancelRequested(cancelling.id())).isTrue();
    // The uploaded job stays confined to its files; the other resolves beside its spec.
    assertThat(store.spec(store.find(uploaded.id()).orElseThrow()).train())
        .contains(uploaded.dir().resolve("input/pairs.jsonl"));
    assertThat(store.spec(store.find(queued.id()).orElseThrow()).train())
        .contains(dir.resolve("pairs.jsonl"));

    LocalTrainer operator =
        LocalTrainer.operator(
            store, PolicyStore.open(TestPacks.example()), models, Optional.empty());
    assertThat(operator.models()).extracting(ModelInfo::id).containsExactly("m1", "m2");
    assertThat(operator.models()).extracting(ModelInfo::onnx).containsExactly(false, true);

    // The job a killed worker left running is the first a worker claims, to resume it.
    assertThat(store.claim("w", Duration.ofMinutes(1))).map(Job::id).contains(running.id());
    store.release(running.id(), "w");
    store.close();

    // Opened again: nothing is read in twice, and new events follow the old ones.
    JobStore again = stores.open(jobs);
    assertThat(again.list()).containsExactlyElementsOf(before);
    again.log(queued.id(), "still here");
    assertThat(again.history(queued.id(), 0))
        .extracting(JobEvent::sequence)
        .containsExactly(0L, 1L);
    assertThat(again.models(models).list()).hasSize(2);
  }

  @Test
  void anUnreadableFolderIsLeftAsItIsAndTheOthersAreReadIn() throws Exception {
    Path jobs = dir.resolve("jobs");
    FolderJobStore old = new FolderJobStore(jobs);
    Job good = old.submit("tiny-embedding", SPEC, dir, mia);
    Job bad = old.submit("tiny-embedding", SPEC, dir, mia);
    Files.writeString(bad.dir().resolve("state.json"), "{\"state\": \"exploded\"");

    JobStore store = stores.open(jobs);
    assertThat(store.list()).extracting(Job::id).containsExactly(good.id());
    assertThat(bad.dir().resolve("job.json")).exists(); // nothing removed: fixable, then read in
    store.close();

    old.setState(bad.id(), new JobState.Queued(Instant.now()));
    assertThat(stores.open(jobs).list()).extracting(Job::id).contains(good.id(), bad.id());
  }

  @Test
  void aTrainerMovedToPostgresKeepsTheJobsAndModelsOfItsEmbeddedStore() throws Exception {
    Path jobs = dir.resolve("jobs");
    Path models = dir.resolve("models");
    List<Job> before;
    Map<String, List<String>> events = new java.util.HashMap<>();
    try (JobStore embedded = new JobStore(jobs)) {
      Job a = embedded.submit("tiny-embedding", SPEC, dir, mia);
      Job b = embedded.submit("tiny-embedding", SPEC, dir, sam);
      embedded.setState(b.id(), new JobState.Failed(Instant.now(), "no data"));
      embedded.cancel(a.id());
      TinyModels.registeredBase(models, "m1", Map.of("classification", "internal"));
      embedded.models(models).list();
      before = embedded.list();
      for (Job j : before) {
        events.put(j.id(), embedded.events(j.id(), 0));
      }
    }

    dev.anvil.store.StoreConfig pg = dev.anvil.store.PostgresServer.newDatabase();
    for (int open = 0; open < 2; open++) { // the second time, nothing is copied again
      try (dev.anvil.store.Store shared = dev.anvil.store.Store.open(pg)) {
        JobStore store = new JobStore(shared, jobs);
        assertThat(store.list()).containsExactlyElementsOf(before);
        for (Job j : before) {
          assertThat(store.events(j.id(), 0)).isEqualTo(events.get(j.id()));
        }
        assertThat(store.cancelRequested(before.getFirst().id())).isTrue();
        assertThat(store.models(models).list())
            .extracting(dev.anvil.trainer.registry.ModelRegistry.Entry::id)
            .containsExactly("m1");
      }
    }
  }
}
