package dev.anvil.cli;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.trainer.grpc.TrainerClient;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.service.GateSetup;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.Trainer;
import dev.anvil.trainer.synth.CorpusSource;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which trainer {@code anvil train} and {@code anvil model} talk to, and as whom: a trainer service
 * ({@code --trainer HOST:PORT}, with the caller's token) or the local job store. Both behind the
 * one {@link Trainer} interface, so every command has one code path.
 */
final class TrainerOptions {
  @Option(
      names = "--trainer",
      paramLabel = "HOST:PORT",
      description =
          "A running trainer service (anvil train serve); default: the local job store in the"
              + " data directory.")
  String address;

  @Mixin PolicyCommand.PackOption pack;
  @Mixin PolicyCommand.PrincipalOptions principal;
  @Mixin ClientTlsOptions tls;

  /** The job folder of the data directory; the embedded store file is there too. */
  static java.nio.file.Path jobs() {
    return Identities.dataDir().resolve("jobs");
  }

  /**
   * The local job store: the embedded store file of {@link #jobs()}, open until the command ends.
   */
  static JobStore store() {
    return LocalJobStores.open(jobs());
  }

  /** Models are registered here, one directory with a model card each. */
  static java.nio.file.Path models() {
    return Identities.dataDir().resolve("models");
  }

  boolean remote() {
    return address != null;
  }

  /** Whether a principal was named (--as, --subject or --token). */
  boolean named() {
    return principal.as != null || principal.subject != null || principal.token != null;
  }

  /** The trainer, acting for the named principal (locally: for the operator if none is named). */
  Trainer open(Optional<GateSetup> gate) {
    return open(named() ? Optional.of(principal.resolve(pack.pack())) : Optional.empty(), gate);
  }

  /** The trainer, acting for {@code caller} (remote: for the principal of the options). */
  Trainer open(Optional<Principal> caller, Optional<GateSetup> gate) {
    return open(caller, gate, Optional.empty());
  }

  /**
   * Like {@link #open(Optional, Optional)}; locally, jobs with {@code data.engine} read their
   * corpus from {@code corpus} (a trainer service reads from its own engine).
   */
  Trainer open(
      Optional<Principal> caller, Optional<GateSetup> gate, Optional<CorpusSource> corpus) {
    if (remote()) {
      String token = principal.bearer(pack.pack(), DevTokenIssuer.TRAINER_AUDIENCE);
      HostPort hp = HostPort.parse("--trainer", address);
      return TrainerClient.connect(
          hp.host(), hp.port(), tls.transport(hp), () -> token, Duration.ofSeconds(30));
    }
    PolicyStore policies = PolicyStore.open(pack.pack());
    return caller
        .<Trainer>map(c -> new LocalTrainer(store(), policies, models(), gate, c, corpus))
        .orElseGet(() -> LocalTrainer.operator(store(), policies, models(), gate));
  }

  /** A principal named in principals.yaml (a spec's {@code owner}). */
  Principal owner(String name) {
    return PrincipalDirectory.load(pack.pack().principalsFile())
        .find(name)
        .orElseThrow(() -> new RbacException("owner '" + name + "' is not in principals.yaml"));
  }
}
