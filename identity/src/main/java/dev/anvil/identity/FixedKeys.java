package dev.anvil.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import java.util.Optional;

/** A fixed set of trusted keys (the development issuer's). */
record FixedKeys(JWKSet keys) implements KeySource {
  @Override
  public Optional<JWK> find(String kid) {
    return signingKey(keys, kid);
  }

  /** The key with this id that may verify signatures (a JWKS also lists encryption keys). */
  static Optional<JWK> signingKey(JWKSet keys, String kid) {
    return keys.getKeys().stream()
        .filter(k -> kid.equals(k.getKeyID()))
        .filter(k -> k.getKeyUse() == null || KeyUse.SIGNATURE.equals(k.getKeyUse()))
        .findFirst();
  }
}
