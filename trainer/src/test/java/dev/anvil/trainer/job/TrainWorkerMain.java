package dev.anvil.trainer.job;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A training worker as a separate process, for tests that kill it: jobs dir, models dir, pack, and
 * optionally {@code STEP} ({@code never}: no halt): the worker then kills itself ({@link
 * Runtime#halt}: no shutdown hook, no flush, as SIGKILL) as soon as it has recorded that step,
 * wherever the last checkpoint was. The kill point is chosen by the test, not by a race between the
 * worker and a test polling it. Further optional arguments: a PostgreSQL URL (user postgres, no
 * password) instead of the embedded store, the worker's name and its lease in milliseconds.
 */
public final class TrainWorkerMain {
  private TrainWorkerMain() {}

  public static void main(String[] args) {
    JobStore store =
        args.length > 4
            ? new JobStore(
                Store.open(StoreConfig.postgres(args[4], "postgres", "")), Path.of(args[0]))
            : new JobStore(Path.of(args[0]));
    if (args.length > 3 && !args[3].equals("never")) {
      int haltAt = Integer.parseInt(args[3]);
      store.onEvent(
          (id, sequence, json) -> {
            JsonObject e = JsonParser.parseString(json).getAsJsonObject();
            if (e.get("type").getAsString().equals("step") && e.get("step").getAsInt() == haltAt) {
              Runtime.getRuntime().halt(137);
            }
          });
    }
    JobRunner.Claims claims =
        args.length > 6
            ? new JobRunner.Claims(args[5], Duration.ofMillis(Long.parseLong(args[6])))
            : JobRunner.Claims.defaults();
    new JobRunner(
            store,
            PolicyStore.open(new PolicyPack(Path.of(args[2]))),
            Path.of(args[1]),
            Device.cpu(),
            OpenTelemetry.noop(),
            claims)
        .drain();
    store.close();
  }
}
