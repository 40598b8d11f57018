package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestJvm;
import dev.anvil.rbac.TestPacks;
import dev.anvil.store.PostgresServer;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.service.LocalTrainer;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two trainer replicas on one real PostgreSQL (each its own pool and job store, one shared job
 * folder as a ReadWriteMany volume gives them): every job runs once, a job whose replica died is
 * resumed from its checkpoint by the other once the dead one's lease has run out, and a job is
 * cancelled from the replica that did not run it.
 */
@Tag("heavy")
class ReplicaRunnersTest {
  @TempDir Path dir;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  private final Principal mia = people.find("mia").orElseThrow();
  private final List<AutoCloseable> open = new ArrayList<>();
  private StoreConfig database;

  @BeforeEach
  void data() {
    database = PostgresServer.newDatabase();
    TinyModels.huggingFaceDir(dir.resolve("model"));
    TinyModels.write(dir.resolve("pairs.jsonl"), TinyModels.pairs());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  private JobStore replica() {
    Store store = Store.open(database);
    open.add(store);
    return new JobStore(store, dir.resolve("jobs"));
  }

  private JobRunner runner(JobStore store, String worker, Duration lease) {
    return new JobRunner(
        store,
        PolicyStore.open(TestPacks.example()),
        dir.resolve("models"),
        Device.cpu(),
        OpenTelemetry.noop(),
        new JobRunner.Claims(worker, lease));
  }

  /** How many times a job was started: its "validating" states. */
  private static long starts(JobStore store, String id) {
    return store.history(id, 0).stream()
        .filter(e -> e instanceof JobEvent.StateChanged s && s.state().equals("validating"))
        .count();
  }

  @Test
  void twoReplicasRunEveryJobExactlyOnce() throws Exception {
    JobStore a = replica();
    JobStore b = replica();
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      // Most fail at once (their data is missing): what counts here is who starts them.
      String data = i == 0 ? "pairs.jsonl" : "missing-" + i + ".jsonl";
      jobs.add(
          (i % 2 == 0 ? a : b)
              .submit("tiny-embedding", JobRunnerTest.spec("embedding", data, 1), dir, mia));
    }
    CompletableFuture<Boolean> ra =
        CompletableFuture.supplyAsync(() -> runner(a, "replica-a", Duration.ofSeconds(5)).drain());
    CompletableFuture<Boolean> rb =
        CompletableFuture.supplyAsync(() -> runner(b, "replica-b", Duration.ofSeconds(5)).drain());
    assertThat(ra.get(3, TimeUnit.MINUTES)).isTrue();
    assertThat(rb.get(3, TimeUnit.MINUTES)).isTrue();

    for (Job j : jobs) {
      Job end = a.find(j.id()).orElseThrow();
      assertThat(end.state().terminal()).as(j.id()).isTrue();
      assertThat(starts(a, j.id())).as("starts of %s", j.id()).isEqualTo(1);
      assertThat(a.claims(j.id())).as("claims of %s", j.id()).isEqualTo(1);
      assertThat(a.claimedBy(j.id())).as(j.id()).isEmpty(); // released when over
    }
    assertThat(
            jobs.stream()
                .filter(j -> a.find(j.id()).orElseThrow().state() instanceof JobState.Succeeded))
        .hasSize(1);
  }

  @Test
  void aDeadReplicasJobIsResumedByTheOtherOnceItsLeaseRanOut() throws Exception {
    JobStore b = replica();
    Job job = b.submit("resume", JobRunnerTest.spec("embedding", "pairs.jsonl", 2), dir, mia);
    // Replica a, a process of its own, halts (as SIGKILL) once it has recorded step 5: its last
    // checkpoint is step 4, and its claim, renewed every second, lasts 3 s from the last renewal.
    Process a =
        new ProcessBuilder(
                TestJvm.command(
                    TrainWorkerMain.class,
                    dir.resolve("jobs").toString(),
                    dir.resolve("models").toString(),
                    TestPacks.example().dir().toString(),
                    "5",
                    database.url(),
                    "replica-a",
                    "3000"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("a.log").toFile()))
            .start();
    assertThat(a.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(a.exitValue()).as("halted, see %s", dir.resolve("a.log")).isEqualTo(137);
    assertThat(b.find(job.id()).orElseThrow().state()).isInstanceOf(JobState.Running.class);
    assertThat(b.claimedBy(job.id())).contains("replica-a/cpu");

    // While a's lease lasts, b leaves the job alone.
    JobRunner rb = runner(b, "replica-b", Duration.ofSeconds(3));
    assertThat(rb.drain()).isTrue();
    assertThat(b.claims(job.id())).isEqualTo(1);
    assertThat(b.find(job.id()).orElseThrow().state()).isInstanceOf(JobState.Running.class);

    Thread.sleep(3_500);
    assertThat(rb.drain()).isTrue();
    assertThat(b.find(job.id()).orElseThrow().state()).isInstanceOf(JobState.Succeeded.class);
    assertThat(b.claims(job.id())).isEqualTo(2);
    assertThat(b.events(job.id(), 0))
        .anyMatch(e -> e.contains("resumed from the checkpoint of step 4"));
  }

  @Test
  void aJobRunningOnOneReplicaIsCancelledFromTheOther() throws Exception {
    JobStore a = replica();
    JobStore b = replica();
    Job job = a.submit("long", JobRunnerTest.spec("embedding", "pairs.jsonl", 200), dir, mia);
    CompletableFuture<Boolean> ra =
        CompletableFuture.supplyAsync(() -> runner(a, "replica-a", Duration.ofSeconds(5)).drain());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!(b.find(job.id()).orElseThrow().state() instanceof JobState.Running r
        && r.step() >= 2)) {
      assertThat(System.nanoTime()).as("the job never ran").isLessThan(deadline);
      Thread.sleep(50);
    }
    LocalTrainer.operator(
            b, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Optional.empty())
        .cancel(job.id());
    assertThat(ra.get(2, TimeUnit.MINUTES)).isTrue();
    JobState end = a.find(job.id()).orElseThrow().state();
    assertThat(end).isInstanceOf(JobState.Cancelled.class);
    assertThat(a.events(job.id(), 0)).anyMatch(e -> e.contains("cancellation requested"));
    assertThat(a.models(dir.resolve("models")).list()).isEmpty(); // nothing registered
  }
}
