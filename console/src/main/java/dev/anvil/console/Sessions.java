package dev.anvil.console;

import dev.anvil.identity.Identity;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in sessions and sign-ins under way, in memory: a session id is 256 random bits, known only
 * to the browser's cookie (HttpOnly, so no script reads it); each session has its own CSRF token. A
 * session ends after {@link #IDLE} without a request, at the latest when its token expires. A
 * sign-in under way (state, PKCE verifier, nonce) is used once and expires after {@link #SIGN_IN}.
 * A restart signs everyone out. Thread-safe.
 */
final class Sessions {
  /** A session unused this long ends. */
  static final Duration IDLE = Duration.ofMinutes(30);

  /** A sign-in must complete within this. */
  static final Duration SIGN_IN = Duration.ofMinutes(10);

  /** At most this many sessions, and as many sign-ins under way: a flood evicts nothing else. */
  static final int MAX = 10_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A signed-in user.
   *
   * @param identity the verified token's identity
   * @param accessToken the token itself, kept only to exchange for a token of another service as
   *     the same user (never sent to the browser, never forwarded)
   * @param csrf the token every form of this session carries
   * @param expires when the token expires: the session ends then
   */
  record Session(
      String id,
      Identity identity,
      String accessToken,
      String csrf,
      Instant expires,
      Instant lastUsed) {
    Session {
      Objects.requireNonNull(identity, "identity");
    }
  }

  /** A sign-in under way: what the callback must match. */
  record Pending(String state, String codeVerifier, String nonce, String redirectUri, Instant at) {}

  private final Clock clock;
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();

  Sessions(Clock clock) {
    this.clock = clock;
  }

  static String random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Opens a session; empty if there are too many. */
  Optional<Session> open(Identity identity, String accessToken, Instant expires) {
    purge();
    if (sessions.size() >= MAX) {
      return Optional.empty();
    }
    Session s = new Session(random(), identity, accessToken, random(), expires, clock.instant());
    sessions.put(s.id(), s);
    return Optional.of(s);
  }

  /** The live session of a cookie's id, touched; empty if unknown or ended. */
  Optional<Session> find(String id) {
    if (id == null || id.isEmpty()) {
      return Optional.empty();
    }
    Session s = sessions.get(id);
    Instant now = clock.instant();
    if (s == null) {
      return Optional.empty();
    }
    if (now.isAfter(s.expires()) || now.isAfter(s.lastUsed().plus(IDLE))) {
      sessions.remove(id);
      return Optional.empty();
    }
    Session touched =
        new Session(s.id(), s.identity(), s.accessToken(), s.csrf(), s.expires(), now);
    sessions.replace(id, s, touched);
    return Optional.of(touched);
  }

  void close(String id) {
    if (id != null) {
      sessions.remove(id);
    }
  }

  /** Starts a sign-in; empty if too many are under way. */
  Optional<Pending> begin(String redirectUri) {
    purge();
    if (pending.size() >= MAX) {
      return Optional.empty();
    }
    Pending p = new Pending(random(), random(), random(), redirectUri, clock.instant());
    pending.put(p.state(), p);
    return Optional.of(p);
  }

  /** Takes (once) the sign-in of {@code state}; empty if unknown, used or expired. */
  Optional<Pending> complete(String state) {
    if (state == null) {
      return Optional.empty();
    }
    Pending p = pending.remove(state);
    if (p == null || clock.instant().isAfter(p.at().plus(SIGN_IN))) {
      return Optional.empty();
    }
    return Optional.of(p);
  }

  /** Whether two secrets are equal, in time independent of where they differ. */
  static boolean same(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(
            a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private void purge() {
    Instant now = clock.instant();
    sessions
        .values()
        .removeIf(s -> now.isAfter(s.expires()) || now.isAfter(s.lastUsed().plus(IDLE)));
    pending.values().removeIf(p -> now.isAfter(p.at().plus(SIGN_IN)));
  }
}
