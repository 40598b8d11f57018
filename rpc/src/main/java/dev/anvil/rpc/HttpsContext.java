package dev.anvil.rpc;

import java.security.GeneralSecurityException;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The TLS of an Anvil listener that is not gRPC (the MCP endpoint): the same PEM files as {@link
 * ServerTransport.Tls}, re-read when they change exactly as a gRPC listener re-reads them, as a
 * JSSE {@link SSLContext} that any HTTP server takes. Close it to stop re-reading.
 *
 * <p>Thread-safe.
 */
public final class HttpsContext implements AutoCloseable {
  private final SSLContext context;
  private final boolean hasClientCa;
  private final boolean requireClientCertificate;
  private final ScheduledExecutorService reloader;

  private HttpsContext(
      SSLContext context,
      boolean hasClientCa,
      boolean requireClientCertificate,
      ScheduledExecutorService reloader) {
    this.context = context;
    this.hasClientCa = hasClientCa;
    this.requireClientCertificate = requireClientCertificate;
    this.reloader = reloader;
  }

  /**
   * Reads the certificate, key (and client CA) of {@code tls} once, so that a wrong path or a
   * broken file stops the start naming it, and keeps re-reading them every {@code tls.reload()}.
   *
   * @throws java.io.UncheckedIOException if the files cannot be read or do not belong together
   */
  public static HttpsContext open(ServerTransport.Tls tls) {
    ServerTls.Managers m = ServerTls.managers(tls);
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          new KeyManager[] {m.keys()},
          m.clients().map(c -> new TrustManager[] {c}).orElse(null),
          null);
      return new HttpsContext(
          context, m.clients().isPresent(), tls.requireClientCertificate(), m.reloader());
    } catch (GeneralSecurityException e) {
      m.reloader().shutdownNow();
      throw new IllegalStateException("the JDK offers no TLS context: " + e.getMessage(), e);
    }
  }

  /** The context whose key (and trust) managers follow the files. */
  public SSLContext sslContext() {
    return context;
  }

  /** Whether a client without a certificate of the client CA is refused (mTLS). */
  public boolean needClientAuth() {
    return requireClientCertificate;
  }

  /** Whether a client certificate is asked for (and checked if presented). */
  public boolean wantClientAuth() {
    return hasClientCa;
  }

  @Override
  public void close() {
    reloader.shutdownNow();
  }
}
