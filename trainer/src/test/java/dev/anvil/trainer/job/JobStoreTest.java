package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.Principal;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  @Test
  void jobIdsAreUnguessableAndNeverReused() {
    JobStore store = stores.open(dir.resolve("jobs"));
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Job job = store.submit("same-name", "name: same-name\n", dir, Principal.of("mia"));
      assertThat(job.id()).matches("same-name-\\d{8}-\\d{6}-[0-9a-f]{24}");
      assertThat(ids.add(job.id())).as("a new id for %s", job.id()).isTrue();
    }
    assertThat(store.list()).hasSize(200);
  }

  @Test
  void aWorkerListingJobsNeverSeesOneHalfWritten() throws Exception {
    // anvil train serve's worker lists jobs while the service submits them; a job folder seen
    // before its state was written once stopped the server.
    JobStore store = stores.open(dir.resolve("jobs"));
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread worker =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  store.list().forEach(j -> assertThat(j.state()).isNotNull());
                } catch (Throwable t) {
                  failures.add(t);
                }
              }
            });
    worker.start();
    for (int i = 0; i < 300; i++) {
      store.submit(
          "busy",
          "name: busy\n",
          java.util.Map.of("data.jsonl", new byte[] {'{', '}'}),
          Principal.of("mia"));
    }
    done.set(true);
    worker.join(60_000);
    assertThat(failures).isEmpty();
    assertThat(store.list()).hasSize(300);
  }
}
