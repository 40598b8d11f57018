package dev.anvil.rbac;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** What a principal wants to do with a document (or, for {@code TRAIN}, with its content). */
public enum Action {
  READ,
  INGEST,
  DELETE,
  TRAIN,
  ADMIN;

  /** The name used in policy files and on the command line: {@code read}, {@code ingest}, ... */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses a policy-file name; empty if there is no such action. */
  public static Optional<Action> fromId(String id) {
    return Arrays.stream(values()).filter(a -> a.id().equals(id)).findFirst();
  }

  /** Every action's id, comma-separated, for error messages. */
  public static String allIds() {
    return Arrays.stream(values()).map(Action::id).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return id();
  }
}
