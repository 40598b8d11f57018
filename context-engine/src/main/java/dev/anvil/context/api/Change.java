package dev.anvil.context.api;

import dev.anvil.rbac.Principal;
import java.util.Objects;

/**
 * One change to the index from a stream of changes (a Kafka topic): an upsert or a delete, made on
 * behalf of a principal whose permissions decide whether it is allowed.
 */
public sealed interface Change {
  /** Who makes the change. */
  Principal principal();

  /** The document changed. */
  String id();

  /** Insert or replace a document (ignored if the index holds this or a newer version). */
  record Upsert(Principal principal, Document document) implements Change {
    public Upsert {
      Objects.requireNonNull(principal, "principal");
      Objects.requireNonNull(document, "document");
    }

    @Override
    public String id() {
      return document.id();
    }
  }

  /** Remove a document; removing one that is not there does nothing, so redelivery is harmless. */
  record Delete(Principal principal, String id) implements Change {
    public Delete {
      Objects.requireNonNull(principal, "principal");
      Objects.requireNonNull(id, "id");
    }
  }
}
