package dev.anvil.cli;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.OidcClient;
import dev.anvil.identity.TokenExchange;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.trainer.synth.CorpusSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * How a trainer service reaches the context engine to read a job's corpus ({@code data.engine}):
 * over TLS with the trainer's client certificate (mTLS), as the job's owner, with a token of the
 * owner's for the engine that the trainer gets by token exchange (RFC 8693) from the caller's own.
 * The engine then decides, and audits, as for the owner themself, naming the trainer's certificate.
 */
final class EngineClientOptions {
  @Option(
      names = "--engine",
      paramLabel = "HOST:PORT",
      description =
          "The context engine that jobs with data.engine read their corpus from (as their owner).")
  String address;

  @Option(
      names = "--engine-tls-ca",
      paramLabel = "PEM",
      description = "CA bundle the engine's certificate must chain to (default: the JVM's CAs).")
  Path ca;

  @Option(
      names = "--engine-tls-client-cert",
      paramLabel = "PEM",
      description = "The trainer's client certificate chain for the engine (mTLS).")
  Path cert;

  @Option(
      names = "--engine-tls-client-key",
      paramLabel = "PEM",
      description = "Its private key (PKCS#8).")
  Path key;

  @Option(
      names = "--token-exchange-client",
      paramLabel = "CLIENT_ID",
      defaultValue = DevTokenIssuer.TRAINER_AUDIENCE,
      description =
          "The trainer's client at the issuer, allowed to exchange callers' tokens for the engine"
              + " (default: ${DEFAULT-VALUE}).")
  String exchangeClient;

  @Option(
      names = "--token-exchange-secret-file",
      paramLabel = "FILE",
      description = "A file holding that client's secret (not needed with --dev).")
  Path exchangeSecretFile;

  /**
   * For each caller's token, the engine as a corpus source asking as that caller; empty without
   * {@code --engine}. Checked now, so that a trainer missing a piece does not start.
   */
  Optional<Function<String, CorpusSource>> sources(Identities.IssuerOptions issuer) {
    if (address == null) {
      return Optional.empty();
    }
    HostPort hp = HostPort.parse("--engine", address);
    ClientTlsOptions tls = new ClientTlsOptions();
    tls.ca = ca;
    tls.cert = cert;
    tls.key = key;
    ClientTransport transport = tls.transport(hp);
    TokenExchange exchange = exchange(issuer);
    return Optional.of(
        callerToken ->
            CorpusSources.remote(
                hp,
                transport,
                () -> exchange.exchange(callerToken, DevTokenIssuer.ENGINE_AUDIENCE)));
  }

  private TokenExchange exchange(Identities.IssuerOptions issuer) {
    if (issuer.dev) {
      // The development issuer exchanges as Keycloak does: only a token naming the trainer.
      return Identities.devIssuer().exchange(DevTokenIssuer.TRAINER_AUDIENCE);
    }
    if (exchangeSecretFile == null) {
      throw new RbacException(
          "--engine needs --token-exchange-secret-file: the secret of client '"
              + exchangeClient
              + "' at "
              + issuer.issuer()
              + ", with which the trainer exchanges a caller's token for one to the engine");
    }
    String secret;
    try {
      secret = Files.readString(exchangeSecretFile).strip();
    } catch (IOException e) {
      throw new RbacException(
          "--token-exchange-secret-file: cannot read " + exchangeSecretFile + ": " + e);
    }
    return TokenExchange.oidc(
        new OidcClient(issuer.issuer(), Duration.ofSeconds(10)), exchangeClient, secret);
  }
}
