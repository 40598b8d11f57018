package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.Principal;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTest {
  @TempDir Path dir;

  @Test
  void jobIdsAreUnguessableAndNeverReused() {
    JobStore store = new JobStore(dir.resolve("jobs"));
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Job job = store.submit("same-name", "name: same-name\n", dir, Principal.of("mia"));
      assertThat(job.id()).matches("same-name-\\d{8}-\\d{6}-[0-9a-f]{24}");
      assertThat(ids.add(job.id())).as("a new id for %s", job.id()).isTrue();
    }
    assertThat(store.list()).hasSize(200);
  }
}
