package dev.anvil.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.anvil.rbac.schema.TagSchema;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens whose signature has been verified, so that a client sending the same token with every call
 * (as every client does until it expires) costs one signature check, not one per call.
 *
 * <p>What is remembered is only what never changes for a token: which key verified it and what it
 * maps to under one tag schema. Whatever can change is decided again on every call: the key must
 * still be the issuer's (a rotated or withdrawn key makes the entry useless), the schema must be
 * the same one, and expiry, not-before and audience are checked against the clock. Only verified
 * tokens enter, keyed by the whole token, so a forged token never matches a verified one. Bounded:
 * past {@link #MAX} entries it starts over (a flood of distinct valid tokens costs their signature
 * checks, as it would without the cache). Thread-safe.
 */
final class VerifiedTokens {
  static final int MAX = 4_096;

  /** A token as it was verified. */
  record Entry(String kid, JWK key, JWTClaimsSet claims, TagSchema schema, Identity identity) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  /**
   * The entry for {@code token} if the key that verified it is still the issuer's key of that id
   * and the schema is the same; the caller still checks the claims' times and audience.
   */
  Optional<Entry> find(String token, KeySource keys, TagSchema schema) {
    Entry e = entries.get(token);
    if (e == null || e.schema() != schema) {
      return Optional.empty();
    }
    return keys.find(e.kid()).filter(e.key()::equals).map(k -> e);
  }

  void put(String token, Entry entry) {
    if (entries.size() >= MAX) {
      entries.clear();
    }
    entries.put(token, entry);
  }
}
