package dev.anvil.judge;

import dev.anvil.rbac.Principal;
import java.util.List;
import java.util.Objects;

/**
 * Who judged, as the verified token said: its subject and roles. Never read from a request.
 *
 * @param subject the principal's subject
 * @param roles its roles, sorted
 */
public record Annotator(String subject, List<String> roles) {
  /** Longest subject kept (a token's {@code sub}, usually a UUID). */
  public static final int MAX_SUBJECT = 256;

  public Annotator {
    Objects.requireNonNull(subject, "subject");
    roles = List.copyOf(roles);
  }

  /** The annotator a verified principal is. */
  public static Annotator of(Principal p) {
    return new Annotator(p.subject(), List.copyOf(p.roles()));
  }
}
