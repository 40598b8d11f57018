package dev.anvil.identity;

import com.nimbusds.jose.jwk.JWK;
import java.util.Optional;

/** Finds the issuer's public verification key for a token's {@code kid}. Thread-safe. */
interface KeySource {

  /**
   * The signing key with this id, refreshing the keys (rate-limited) when it is unknown.
   *
   * @throws dev.anvil.identity.IssuerUnavailableException if there are no usable keys and they
   *     cannot be fetched
   */
  Optional<JWK> find(String kid);
}
