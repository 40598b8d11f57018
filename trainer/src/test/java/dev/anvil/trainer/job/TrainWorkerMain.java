package dev.anvil.trainer.job;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import java.nio.file.Path;

/**
 * A training worker as a separate process, for tests that kill it: jobs dir, models dir, pack, and
 * optionally {@code STEP}: the worker then kills itself ({@link Runtime#halt}: no shutdown hook, no
 * flush, as SIGKILL) as soon as it has recorded that step, wherever the last checkpoint was. The
 * kill point is chosen by the test, not by a race between the worker and a test polling it.
 */
public final class TrainWorkerMain {
  private TrainWorkerMain() {}

  public static void main(String[] args) {
    JobStore store = new JobStore(Path.of(args[0]));
    if (args.length > 3) {
      int haltAt = Integer.parseInt(args[3]);
      store.onEvent(
          (id, sequence, json) -> {
            JsonObject e = JsonParser.parseString(json).getAsJsonObject();
            if (e.get("type").getAsString().equals("step") && e.get("step").getAsInt() == haltAt) {
              Runtime.getRuntime().halt(137);
            }
          });
    }
    new JobRunner(
            store,
            PolicyStore.open(new PolicyPack(Path.of(args[2]))),
            Path.of(args[1]),
            Device.cpu())
        .drain();
  }
}
