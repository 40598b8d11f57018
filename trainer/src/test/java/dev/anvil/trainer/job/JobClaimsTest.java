package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.Principal;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import dev.anvil.store.TestStores;
import dev.anvil.store.TestStores.Backend;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Claims of jobs by workers, on the embedded store and on a real PostgreSQL shared by two
 * "replicas" (two pools, two job stores): one claim per job at a time, leases that run out, and
 * what a caller naming ids can and cannot reach.
 */
class JobClaimsTest {
  @TempDir Path dir;

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  /** Two job stores on one database, as two replicas have. */
  private JobStore[] replicas(Backend backend) {
    StoreConfig config = TestStores.config(backend, dir);
    Store a = Store.open(config);
    Store b = Store.open(config);
    open.add(a);
    open.add(b);
    return new JobStore[] {
      new JobStore(a, dir.resolve("jobs")), new JobStore(b, dir.resolve("jobs"))
    };
  }

  private Job submit(JobStore store) {
    return store.submit("claimed", "name: claimed\n", dir, Principal.of("mia"));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void twoReplicasClaimingAtOnceTakeEachJobOnce(Backend backend) throws Exception {
    JobStore[] r = replicas(backend);
    int jobs = 40;
    for (int i = 0; i < jobs; i++) {
      submit(r[i % 2]);
    }
    Map<String, String> claimedBy = new ConcurrentHashMap<>();
    List<String> twice = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      JobStore store = r[w % 2];
      String worker = "replica-" + w;
      workers.add(
          pool.submit(
              () -> {
                start.await();
                while (true) {
                  var job = store.claim(worker, Duration.ofMinutes(1));
                  if (job.isEmpty()) {
                    return null;
                  }
                  if (claimedBy.putIfAbsent(job.get().id(), worker) != null) {
                    synchronized (twice) {
                      twice.add(job.get().id());
                    }
                  }
                  // Done: a finished job is never claimed again.
                  store.setState(job.get().id(), new JobState.Failed(Instant.now(), "done"));
                  store.release(job.get().id(), worker);
                }
              }));
    }
    start.countDown();
    for (Future<?> f : workers) {
      f.get();
    }
    pool.shutdown();
    assertThat(twice).isEmpty();
    assertThat(claimedBy).hasSize(jobs);
    for (String id : claimedBy.keySet()) {
      assertThat(r[0].claims(id)).as(id).isEqualTo(1);
    }
    assertThat(Set.copyOf(claimedBy.values())).hasSizeGreaterThan(1); // both replicas worked
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aClaimIsTakenOverOnlyOnceItsLeaseHasRunOut(Backend backend) throws Exception {
    JobStore[] r = replicas(backend);
    Job job = submit(r[0]);
    assertThat(r[0].claim("a", Duration.ofMillis(600))).map(Job::id).contains(job.id());
    assertThat(r[1].claim("b", Duration.ofMinutes(1))).isEmpty(); // a holds it
    assertThat(r[0].renew(job.id(), "a", Duration.ofMillis(600))).isTrue();
    Thread.sleep(700); // a stopped renewing: it died
    assertThat(r[1].claim("b", Duration.ofMinutes(1))).map(Job::id).contains(job.id());
    assertThat(r[1].claimedBy(job.id())).contains("b");
    // a wakes up: its heartbeat finds the job gone, and its release does not free b's claim.
    assertThat(r[0].renew(job.id(), "a", Duration.ofMinutes(1))).isFalse();
    r[0].release(job.id(), "a");
    assertThat(r[1].claimedBy(job.id())).contains("b");
    assertThat(r[0].claims(job.id())).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aClaimedJobIsCancelledByItsWorkerAndAFreeQueuedOneAtOnce(Backend backend) {
    JobStore[] r = replicas(backend);
    Job free = submit(r[0]);
    Job claimed = submit(r[0]);
    assertThat(r[0].claim("a", Duration.ofMinutes(1))).map(Job::id).contains(free.id());
    r[0].release(free.id(), "a");
    assertThat(r[0].claim("a", Duration.ofMinutes(1))).map(Job::id).contains(free.id());
    r[0].setState(free.id(), new JobState.Running(Instant.now(), 0, 10));
    // The other replica cancels: the running job is asked to stop, the worker sees the request.
    assertThat(r[1].cancel(free.id())).isTrue();
    assertThat(r[0].cancelRequested(free.id())).isTrue();
    assertThat(r[0].find(free.id()).orElseThrow().state()).isInstanceOf(JobState.Running.class);
    // An unclaimed queued job is over at once, and no worker claims it afterwards.
    assertThat(r[1].cancel(claimed.id())).isTrue();
    assertThat(r[0].find(claimed.id()).orElseThrow().state())
        .isInstanceOf(JobState.Cancelled.class);
    assertThat(r[0].claim("b", Duration.ofMinutes(1))).isEmpty();
    assertThat(r[1].cancel(claimed.id())).isFalse(); // over already
    // A state set after the end is ignored: over stays over.
    r[0].setState(claimed.id(), new JobState.Running(Instant.now(), 0, 10));
    assertThat(r[0].find(claimed.id()).orElseThrow().state())
        .isInstanceOf(JobState.Cancelled.class);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anIdPrefixMatchesOnlyWhatItSpells(Backend backend) {
    JobStore store = replicas(backend)[0];
    Job a = submit(store);
    assertThat(store.find(a.id())).map(Job::id).contains(a.id());
    assertThat(store.find(a.id().substring(0, a.id().length() - 3))).map(Job::id).contains(a.id());
    assertThat(store.find("claimed")).map(Job::id).contains(a.id());
    // Wildcards are characters, not patterns: with one job, "%" and "claimed_" still match none.
    assertThat(store.find("%")).isEmpty();
    assertThat(store.find("claimed_")).isEmpty();
    submit(store);
    assertThat(store.find("claimed")).isEmpty(); // ambiguous: two jobs
    assertThat(store.find("x".repeat(100_000))).isEmpty();
    assertThat(store.find("' OR '1'='1")).isEmpty();
  }
}
