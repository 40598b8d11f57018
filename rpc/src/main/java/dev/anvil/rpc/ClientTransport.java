package dev.anvil.rpc;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** How a client reaches a server. */
public sealed interface ClientTransport {
  /** Plaintext: for a server on loopback. */
  ClientTransport PLAINTEXT = new Plaintext();

  /** No TLS. */
  record Plaintext() implements ClientTransport {}

  /**
   * TLS: the server's certificate must chain to {@code ca} (empty: the JVM's trusted CAs) and name
   * the host connected to; with {@code certificateChain} and {@code privateKey}, the client proves
   * itself too (mTLS).
   */
  record Tls(Optional<Path> ca, Optional<Path> certificateChain, Optional<Path> privateKey)
      implements ClientTransport {
    public Tls {
      Objects.requireNonNull(ca, "ca");
      Objects.requireNonNull(certificateChain, "certificateChain");
      Objects.requireNonNull(privateKey, "privateKey");
      if (certificateChain.isPresent() != privateKey.isPresent()) {
        throw new IllegalArgumentException(
            "a client certificate needs its private key, and a key its certificate");
      }
    }

    /** Trusting {@code ca}, without a client certificate. */
    public static Tls trusting(Path ca) {
      return new Tls(Optional.of(ca), Optional.empty(), Optional.empty());
    }
  }
}
