package dev.anvil.cli;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.rpc.ClientTransport;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How a command reaches a server ({@code --server}, {@code --trainer}, {@code --engine}): TLS,
 * verifying the server's certificate against {@code --tls-ca} (or the JVM's trusted CAs) and the
 * host name, with a client certificate for mTLS; plaintext only to a loopback address, unless
 * {@code --insecure-plaintext}.
 */
final class ClientTlsOptions {
  @Option(
      names = "--tls-ca",
      paramLabel = "PEM",
      description = "CA bundle the server's certificate must chain to (default: the JVM's CAs).")
  Path ca;

  @Option(
      names = "--tls-client-cert",
      paramLabel = "PEM",
      description = "Client certificate chain, for a server that requires one (mTLS).")
  Path cert;

  @Option(
      names = "--tls-client-key",
      paramLabel = "PEM",
      description = "The client certificate's private key (PKCS#8).")
  Path key;

  @Option(
      names = "--tls",
      description = "TLS to a loopback server too (TLS is the default for every other address).")
  boolean tls;

  @Option(
      names = "--insecure-plaintext",
      description = "Plaintext to a server that is not on loopback (something else encrypts).")
  boolean insecurePlaintext;

  /** The transport to {@code hp}. */
  ClientTransport transport(HostPort hp) {
    boolean configured = tls || ca != null || cert != null || key != null;
    if (insecurePlaintext) {
      if (configured) {
        throw new RbacException("--insecure-plaintext and the --tls options exclude each other");
      }
      return ClientTransport.PLAINTEXT;
    }
    if (!configured && HostPort.loopback(hp.host())) {
      return ClientTransport.PLAINTEXT;
    }
    return new ClientTransport.Tls(
        Optional.ofNullable(ca), Optional.ofNullable(cert), Optional.ofNullable(key));
  }
}
