package dev.anvil.identity;

import dev.anvil.rbac.Principal;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A verified token: who the user is, which client acts for them, and until when.
 *
 * @param principal what policies see
 * @param username the human-readable name ({@code preferred_username}), or the subject
 * @param agent the client acting for the user ({@code azp}), if the token names one
 * @param issuer the token's issuer
 * @param expiresAt when the token expires
 */
public record Identity(
    Principal principal,
    String username,
    Optional<String> agent,
    String issuer,
    Instant expiresAt) {
  public Identity {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
