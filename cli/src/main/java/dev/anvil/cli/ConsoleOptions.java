package dev.anvil.cli;

import dev.anvil.console.ConsoleServer;
import dev.anvil.console.SignIn;
import dev.anvil.console.spi.JobSource;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.OidcClient;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.trainer.grpc.TrainerClient;
import dev.anvil.trainer.service.JobView;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * The admin console of {@code anvil serve} ({@code --console-port}): off unless a port is given;
 * same host and TLS as gRPC; signs people in through the configured issuer (or the development
 * issuer with {@code --dev}).
 */
final class ConsoleOptions {
  @Option(
      names = "--console-port",
      paramLabel = "PORT",
      description =
          "Also serve the admin console on this port, same host and TLS as gRPC (0 picks a free"
              + " one; default: no console). For principals allowed admin or audit.")
  Integer port;

  @Option(
      names = "--console-client-id",
      paramLabel = "ID",
      defaultValue = SignIn.AUDIENCE,
      description = "The console's OIDC client (default: ${DEFAULT-VALUE}).")
  String clientId;

  @Option(
      names = "--console-client-secret-file",
      paramLabel = "FILE",
      description =
          "The console client's secret (a confidential client: needed to exchange tokens for the"
              + " trainer).")
  Path clientSecretFile;

  @Option(
      names = "--console-url",
      paramLabel = "URL",
      description =
          "The console's URL as browsers reach it (the OIDC redirect is <URL>/callback; default:"
              + " the URL each request was addressed to).")
  URI url;

  @Option(
      names = "--console-proposals",
      paramLabel = "DIR",
      description =
          "A directory of proposed policy packs that the diff page may name (default: uploads"
              + " only).")
  Path proposals;

  @Option(
      names = "--trainer",
      paramLabel = "HOST:PORT",
      description =
          "The trainer service whose jobs the console lists, as the signed-in user (default: none).")
  String trainer;

  @Option(
      names = "--trainer-tls-ca",
      paramLabel = "PEM",
      description = "CA certificates to trust for --trainer (TLS; plaintext only to loopback).")
  Path trainerCa;

  boolean enabled() {
    return port != null;
  }

  /** The sign-in: the development issuer with {@code --dev}, else the OIDC issuer. */
  SignIn signIn(Identities.IssuerOptions issuer, PolicyPack pack, Supplier<TagSchema> schema) {
    if (issuer.dev) {
      DevTokenIssuer dev = Identities.devIssuer();
      return new SignIn.Dev(
          dev,
          PrincipalDirectory.load(pack.principalsFile()),
          dev.verifier(SignIn.AUDIENCE, schema));
    }
    Optional<String> secret = Optional.empty();
    if (clientSecretFile != null) {
      try {
        secret = Optional.of(Files.readString(clientSecretFile).strip());
      } catch (IOException e) {
        throw new RbacException(
            "--console-client-secret-file: cannot read "
                + clientSecretFile
                + ": "
                + e.getMessage());
      }
    }
    return new SignIn.Oidc(
        new OidcClient(issuer.issuer(), Duration.ofSeconds(10)),
        issuer.issuer(),
        clientId,
        secret,
        issuer.verifierFor(SignIn.AUDIENCE, schema));
  }

  ConsoleServer.Options options(SignIn signIn, PolicyPack pack, Path models) {
    return new ConsoleServer.Options(
        signIn,
        pack,
        Optional.ofNullable(proposals).map(p -> p.toAbsolutePath().normalize()),
        Optional.ofNullable(models),
        Optional.ofNullable(url));
  }

  /** The trainer's jobs, called as the signed-in user with a token exchanged for the trainer. */
  JobSource jobs() {
    if (trainer == null) {
      return JobSource.NONE;
    }
    HostPort hp = HostPort.parse("--trainer", trainer);
    ClientTransport transport =
        trainerCa != null
            ? new ClientTransport.Tls(Optional.of(trainerCa), Optional.empty(), Optional.empty())
            : HostPort.loopback(hp.host())
                ? ClientTransport.PLAINTEXT
                : new ClientTransport.Tls(Optional.empty(), Optional.empty(), Optional.empty());
    return new JobSource() {
      @Override
      public Optional<String> trainer() {
        return Optional.of(trainer);
      }

      @Override
      public List<Job> jobs(Function<String, String> tokenFor) {
        String token = tokenFor.apply(DevTokenIssuer.TRAINER_AUDIENCE);
        try (TrainerClient c =
            TrainerClient.connect(
                hp.host(), hp.port(), transport, () -> token, Duration.ofSeconds(10))) {
          return c.jobs().stream().map(ConsoleOptions::job).toList();
        }
      }
    };
  }

  private static JobSource.Job job(JobView j) {
    return new JobSource.Job(j.id(), j.name(), j.owner(), "", j.state().label(), "", "");
  }
}
