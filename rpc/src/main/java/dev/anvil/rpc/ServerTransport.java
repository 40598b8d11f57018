package dev.anvil.rpc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** How a server's listener is secured. */
public sealed interface ServerTransport {
  /** Plaintext on loopback only: the default for development and tests. */
  ServerTransport LOOPBACK_PLAINTEXT = new Plaintext(false);

  /**
   * No TLS. Bearer tokens and documents cross the network in clear, so a non-loopback address is
   * refused unless {@code anyAddress} says the operator asked for it ({@code --insecure-plaintext},
   * e.g. behind a mesh that encrypts).
   */
  record Plaintext(boolean anyAddress) implements ServerTransport {
    /**
     * Checks that this transport may listen on {@code address}: every listener of Anvil (gRPC, the
     * MCP endpoint) refuses the same way.
     *
     * @throws IllegalArgumentException for an address other than loopback, unless {@code
     *     anyAddress}
     */
    public void checkAddress(java.net.InetSocketAddress address) {
      boolean loopback = address.getAddress() != null && address.getAddress().isLoopbackAddress();
      if (!anyAddress && !loopback) {
        throw new IllegalArgumentException(
            "refusing to serve plaintext on "
                + address.getHostString()
                + ": bearer tokens and documents would cross the network in clear; give a"
                + " certificate and key (--tls-cert, --tls-key), or --insecure-plaintext if"
                + " something else encrypts the traffic");
      }
    }
  }

  /**
   * TLS (1.3, or 1.2) from PEM files, re-read every {@code reload} when they change, so a rotated
   * certificate (cert-manager) is served without a restart.
   *
   * @param certificateChain the server's certificate chain (PEM)
   * @param privateKey its private key (PEM, PKCS#8)
   * @param clientCa the CA bundle that signs client certificates; empty: clients present none
   * @param requireClientCertificate mTLS: refuse a client without a certificate of {@code
   *     clientCa}; otherwise one is checked if presented
   * @param reload how often the files are checked for a change
   */
  record Tls(
      Path certificateChain,
      Path privateKey,
      Optional<Path> clientCa,
      boolean requireClientCertificate,
      Duration reload)
      implements ServerTransport {
    public Tls {
      Objects.requireNonNull(certificateChain, "certificateChain");
      Objects.requireNonNull(privateKey, "privateKey");
      Objects.requireNonNull(clientCa, "clientCa");
      Objects.requireNonNull(reload, "reload");
      if (requireClientCertificate && clientCa.isEmpty()) {
        throw new IllegalArgumentException(
            "requiring client certificates needs the CA that signs them (--tls-client-ca)");
      }
    }

    /** TLS without client certificates, reloaded every minute. */
    public static Tls of(Path certificateChain, Path privateKey) {
      return new Tls(certificateChain, privateKey, Optional.empty(), false, Duration.ofMinutes(1));
    }
  }
}
