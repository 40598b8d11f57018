package dev.anvil.trainer.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Job stores a test opens, closed after it ({@code @RegisterExtension}) and before its temporary
 * folder is removed: an open embedded store keeps its lock file alive. A static one ({@link
 * #perClass}) closes them after the class's last test.
 */
public final class OpenJobStores implements AfterEachCallback, AfterAllCallback {
  private final boolean perClass;
  private final List<JobStore> open = new ArrayList<>();

  /** Closes the stores after each test. */
  public OpenJobStores() {
    this(false);
  }

  private OpenJobStores(boolean perClass) {
    this.perClass = perClass;
  }

  /** Closes the stores after the class's tests (for stores opened in {@code @BeforeAll}). */
  public static OpenJobStores perClass() {
    return new OpenJobStores(true);
  }

  /** A job store in {@code dir} on the embedded store file there, closed after the test. */
  public synchronized JobStore open(Path dir) {
    JobStore s = new JobStore(dir);
    open.add(s);
    return s;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      closeAll();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeAll();
  }

  private synchronized void closeAll() {
    open.reversed().forEach(JobStore::close);
    open.clear();
  }
}
