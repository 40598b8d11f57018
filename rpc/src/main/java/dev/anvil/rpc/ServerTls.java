package dev.anvil.rpc;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS credentials of a server, kept up to date with their PEM files: every {@code reload} the
 * files are read, and when their bytes changed and parse, the new certificate (or client CA) is
 * used for the next handshakes. A half-written or broken pair keeps the previous one in service.
 */
final class ServerTls {
  private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

  private ServerTls() {}

  /** Credentials whose files are re-read while open; close it to stop. */
  record Reloading(ServerCredentials credentials, ScheduledExecutorService reloader)
      implements AutoCloseable {
    @Override
    public void close() {
      reloader.shutdownNow();
    }
  }

  /**
   * Reads the files once (so a wrong path or a broken file stops the start, naming it) and keeps
   * re-reading them every {@code tls.reload()}.
   */
  static Reloading open(ServerTransport.Tls tls) {
    Managers m = managers(tls);
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(m.keys());
    m.clients()
        .ifPresent(
            clients ->
                b.trustManager(clients)
                    .clientAuth(
                        tls.requireClientCertificate()
                            ? TlsServerCredentials.ClientAuth.REQUIRE
                            : TlsServerCredentials.ClientAuth.OPTIONAL));
    return new Reloading(b.build(), m.reloader());
  }

  /**
   * The key manager (and the client trust manager, with a client CA) of {@code tls}, kept up to
   * date with their files by {@code reloader}: what gRPC's credentials and an HTTPS listener's
   * {@code SSLContext} are both made of.
   */
  record Managers(
      AdvancedTlsX509KeyManager keys,
      java.util.Optional<AdvancedTlsX509TrustManager> clients,
      ScheduledExecutorService reloader) {}

  /** Reads the files once and schedules their re-reading: see {@link #open}. */
  static Managers managers(ServerTransport.Tls tls) {
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    Identity identity = new Identity(tls.certificateChain(), tls.privateKey(), keys);
    AdvancedTlsX509TrustManager clients = null;
    Trust trust = null;
    try {
      identity.load();
      if (tls.clientCa().isPresent()) {
        clients =
            AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(
                    AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                .build();
        trust = new Trust(tls.clientCa().get(), clients);
        trust.load();
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new UncheckedIOException(
          "cannot read the TLS certificate "
              + tls.certificateChain()
              + ", key "
              + tls.privateKey()
              + tls.clientCa().map(ca -> " or client CA " + ca).orElse("")
              + ": "
              + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
    ScheduledExecutorService reloader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "anvil-tls-reload");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(1, tls.reload().toMillis());
    reloader.scheduleWithFixedDelay(identity::reload, period, period, TimeUnit.MILLISECONDS);
    if (trust != null) {
      reloader.scheduleWithFixedDelay(trust::reload, period, period, TimeUnit.MILLISECONDS);
    }
    return new Managers(keys, java.util.Optional.ofNullable(clients), reloader);
  }

  /** The certificate chain and key, loaded when their bytes change. */
  private static final class Identity {
    private final Path cert;
    private final Path key;
    private final AdvancedTlsX509KeyManager keys;
    private byte[] loaded = new byte[0];

    Identity(Path cert, Path key, AdvancedTlsX509KeyManager keys) {
      this.cert = cert;
      this.key = key;
      this.keys = keys;
    }

    void load() throws IOException, GeneralSecurityException {
      byte[] certBytes = Files.readAllBytes(cert);
      byte[] keyBytes = Files.readAllBytes(key);
      byte[] digest = digest(certBytes, keyBytes);
      if (Arrays.equals(digest, loaded)) {
        return;
      }
      X509Certificate[] chain =
          CertificateUtils.getX509Certificates(new ByteArrayInputStream(certBytes));
      PrivateKey privateKey = CertificateUtils.getPrivateKey(new ByteArrayInputStream(keyBytes));
      requireMatching(chain[0], privateKey); // not a new key beside the old certificate
      keys.updateIdentityCredentials(chain, privateKey);
      if (loaded.length > 0) {
        LOG.info("TLS certificate {} reloaded: {}", cert, chain[0].getSubjectX500Principal());
      }
      loaded = digest;
    }

    void reload() {
      try {
        load();
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        LOG.warn(
            "TLS certificate {} or key {} not reloaded (the previous one serves): {}",
            cert,
            key,
            e.toString());
      }
    }
  }

  /** The client CA bundle, loaded when its bytes change. */
  private static final class Trust {
    private final Path ca;
    private final AdvancedTlsX509TrustManager trust;
    private byte[] loaded = new byte[0];

    Trust(Path ca, AdvancedTlsX509TrustManager trust) {
      this.ca = ca;
      this.trust = trust;
    }

    void load() throws IOException, GeneralSecurityException {
      byte[] bytes = Files.readAllBytes(ca);
      byte[] digest = digest(bytes);
      if (Arrays.equals(digest, loaded)) {
        return;
      }
      trust.updateTrustCredentials(
          CertificateUtils.getX509Certificates(new ByteArrayInputStream(bytes)));
      loaded = digest;
    }

    void reload() {
      try {
        load();
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        LOG.warn("TLS client CA {} not reloaded (the previous one serves): {}", ca, e.toString());
      }
    }
  }

  /** Whether {@code key} signs what {@code cert}'s public key verifies (EC, RSA, EdDSA). */
  static void requireMatching(X509Certificate cert, PrivateKey key)
      throws GeneralSecurityException {
    String algorithm =
        switch (cert.getPublicKey().getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return;
    }
    byte[] probe = "anvil".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Signature s = Signature.getInstance(algorithm);
    s.initSign(key);
    s.update(probe);
    byte[] signature = s.sign();
    s.initVerify(cert.getPublicKey());
    s.update(probe);
    if (!s.verify(signature)) {
      throw new GeneralSecurityException("the private key does not belong to the certificate");
    }
  }

  private static byte[] digest(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        md.update(p);
        md.update((byte) 0);
      }
      return md.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
