package dev.anvil.trainer.data;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One training example with the tags that decide who may train on it. */
public sealed interface Example {
  /** Where it came from, {@code file:line}. */
  String where();

  /** Its raw tags (validated against the tag schema before training). */
  Map<String, Object> tags();

  /** A (query, relevant passage) pair, optionally with a passage known not to be relevant. */
  record Pair(
      String where,
      String query,
      String positive,
      Optional<String> negative,
      Map<String, Object> tags)
      implements Example {
    public Pair {
      Objects.requireNonNull(query, "query");
      Objects.requireNonNull(positive, "positive");
      Objects.requireNonNull(negative, "negative");
      tags = Map.copyOf(tags);
    }
  }

  /** A text with its class. */
  record Labeled(String where, String text, String label, Map<String, Object> tags)
      implements Example {
    public Labeled {
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(label, "label");
      tags = Map.copyOf(tags);
    }
  }
}
