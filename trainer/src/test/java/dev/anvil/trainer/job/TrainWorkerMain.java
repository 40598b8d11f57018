package dev.anvil.trainer.job;

import ai.djl.Device;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import java.nio.file.Path;

/** A training worker as a separate process, for tests that kill it: jobs dir, models dir, pack. */
public final class TrainWorkerMain {
  private TrainWorkerMain() {}

  public static void main(String[] args) {
    new JobRunner(
            new JobStore(Path.of(args[0])),
            PolicyStore.open(new PolicyPack(Path.of(args[2]))),
            Path.of(args[1]),
            Device.cpu())
        .drain();
  }
}
