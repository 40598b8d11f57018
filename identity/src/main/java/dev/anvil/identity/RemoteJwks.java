package dev.anvil.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's JWKS, fetched over HTTP and cached.
 *
 * <ul>
 *   <li>The JWKS URI is configured, or discovered from {@code
 *       <issuer>/.well-known/openid-configuration} (whose {@code issuer} must match, and whose
 *       {@code jwks_uri} must be on the issuer's origin: a tampered discovery document cannot point
 *       at keys elsewhere). Both are https, or http to a loopback address.
 *   <li>The keys are fetched again every {@code refreshEvery}, in the background while the cached
 *       ones serve: a good token never waits for a fetch, and a withdrawn key stops verifying.
 *   <li>An unknown {@code kid} triggers a refresh, at most once per {@code minRefreshInterval}: key
 *       rotation works without a restart, and a flood of made-up kids cannot hammer the issuer.
 *   <li>If the issuer is unreachable, cached keys keep working until they are {@code maxAge} old;
 *       with no usable keys, verification fails as unavailable.
 *   <li>Only signing keys are used (a JWKS also lists encryption keys).
 * </ul>
 */
final class RemoteJwks implements KeySource {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteJwks.class);

  private final String issuer;
  private final Optional<URI> configuredJwksUri;
  private final Duration minRefreshInterval;
  private final Duration refreshEvery;
  private final Duration maxAge;
  private final Duration timeout;
  private final Clock clock;
  private final HttpClient http;
  private final AtomicLong fetches = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicBoolean refreshing =
      new java.util.concurrent.atomic.AtomicBoolean();

  private record Snapshot(JWKSet keys, Instant fetchedAt) {}

  private volatile Snapshot snapshot;
  private Instant lastUnknownKidRefresh = Instant.MIN;
  private Instant lastFailure = Instant.MIN;
  private URI jwksUri;

  public RemoteJwks(
      String issuer,
      Optional<URI> jwksUri,
      Duration minRefreshInterval,
      Duration refreshEvery,
      Duration maxAge,
      Duration timeout,
      Clock clock) {
    this.issuer = issuer;
    this.configuredJwksUri = jwksUri;
    this.minRefreshInterval = minRefreshInterval;
    this.refreshEvery = refreshEvery;
    this.maxAge = maxAge;
    this.timeout = timeout;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public Optional<JWK> find(String kid) {
    Snapshot s = snapshot;
    if (s != null && fresh(s)) {
      if (!clock.instant().isBefore(s.fetchedAt().plus(refreshEvery))) {
        refreshInBackground();
      }
      Optional<JWK> key = FixedKeys.signingKey(s.keys(), kid);
      if (key.isPresent()) {
        return key;
      }
    }
    return findSlow(kid);
  }

  /** One scheduled refresh at a time, off the caller's thread; the cached keys serve meanwhile. */
  private void refreshInBackground() {
    if (!refreshing.compareAndSet(false, true)) {
      return;
    }
    Thread.ofVirtual()
        .name("anvil-jwks-refresh")
        .start(
            () -> {
              try {
                synchronized (this) {
                  refresh(clock.instant());
                }
              } catch (IOException | ParseException | RuntimeException e) {
                LOG.warn(
                    "refreshing the keys of issuer {} failed; using cached keys: {}",
                    issuer,
                    e.toString());
              } finally {
                refreshing.set(false);
              }
            });
  }

  /**
   * Refuses a URL that is not https, or http to a loopback address.
   *
   * @throws IllegalArgumentException naming {@code what}
   */
  static void requireSecure(String what, URI uri) {
    String scheme =
        uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (scheme.equals("https") || (scheme.equals("http") && loopback(uri.getHost()))) {
      return;
    }
    throw new IllegalArgumentException(
        what + ": expected an https URL (http only to a loopback address), was " + uri);
  }

  private static boolean loopback(String host) {
    try {
      return host != null && java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private synchronized Optional<JWK> findSlow(String kid) {
    Snapshot s = snapshot;
    Instant now = clock.instant();
    if (s == null || !fresh(s)) {
      // Nothing usable cached: fetch, but after a failure wait before trying again.
      if (now.isBefore(lastFailure.plus(minRefreshInterval))) {
        throw unavailable("the last attempt failed at " + lastFailure, null);
      }
      try {
        s = refresh(now);
      } catch (IOException | ParseException | RuntimeException e) {
        lastFailure = now;
        throw unavailable(e.getMessage(), e);
      }
    } else if (FixedKeys.signingKey(s.keys(), kid).isEmpty()
        && !now.isBefore(lastUnknownKidRefresh.plus(minRefreshInterval))) {
      // An unknown kid may be a rotated key: refresh, at most once per interval.
      lastUnknownKidRefresh = now;
      try {
        s = refresh(now);
      } catch (IOException | ParseException | RuntimeException e) {
        LOG.warn(
            "refreshing the keys of issuer {} failed; using cached keys: {}", issuer, e.toString());
      }
    }
    return FixedKeys.signingKey(s.keys(), kid);
  }

  private Snapshot refresh(Instant now) throws IOException, ParseException {
    Snapshot s = new Snapshot(fetch(), now);
    snapshot = s;
    return s;
  }

  private IssuerUnavailableException unavailable(String why, Throwable cause) {
    return new IssuerUnavailableException(
        "cannot fetch the signing keys of issuer " + issuer + " and none are cached: " + why,
        cause);
  }

  /** How many times the JWKS was fetched (for tests and metrics). */
  public long fetchCount() {
    return fetches.get();
  }

  private boolean fresh(Snapshot s) {
    return clock.instant().isBefore(s.fetchedAt().plus(maxAge));
  }

  private JWKSet fetch() throws IOException, ParseException {
    if (jwksUri == null) {
      jwksUri = configuredJwksUri.isPresent() ? configuredJwksUri.get() : discover();
    }
    fetches.incrementAndGet();
    return JWKSet.parse(get(jwksUri));
  }

  private URI discover() throws IOException, ParseException {
    URI config = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
    Map<String, Object> doc = JSONObjectUtils.parse(get(config));
    Object advertised = doc.get("issuer");
    if (!issuer.equals(advertised)) {
      throw new IOException(
          "discovery document at "
              + config
              + " names issuer '"
              + advertised
              + "', expected '"
              + issuer
              + "'");
    }
    if (!(doc.get("jwks_uri") instanceof String uri)) {
      throw new IOException("discovery document at " + config + " has no jwks_uri");
    }
    URI jwks = URI.create(uri);
    if (!origin(jwks).equals(origin(config))) {
      throw new IOException(
          "discovery document at "
              + config
              + " names jwks_uri "
              + jwks
              + ", not on the issuer's origin "
              + origin(config)
              + "; configure the JWKS URL explicitly (--jwks-uri) to trust keys elsewhere");
    }
    try {
      requireSecure("jwks_uri", jwks);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    return jwks;
  }

  /** scheme://host:port, with the scheme's default port made explicit. */
  private static String origin(URI u) {
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    int port = u.getPort() != -1 ? u.getPort() : scheme.equals("https") ? 443 : 80;
    String host = u.getHost() == null ? "" : u.getHost().toLowerCase(java.util.Locale.ROOT);
    return scheme + "://" + host + ":" + port;
  }

  private String get(URI uri) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("GET " + uri + " answered HTTP " + response.statusCode());
      }
      return response.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching " + uri, e);
    }
  }
}
