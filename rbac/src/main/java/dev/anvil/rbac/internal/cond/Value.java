package dev.anvil.rbac.internal.cond;

import java.util.List;

/** A runtime value of a policy condition. */
public sealed interface Value {
  Bool TRUE = new Bool(true);
  Bool FALSE = new Bool(false);

  /** Text. */
  record Str(String value) implements Value {}

  /** A CEL int. */
  record Int(long value) implements Value {}

  /** A boolean. */
  record Bool(boolean value) implements Value {}

  /** A list of text (roles, groups, multi-valued attributes, set tags, list literals). */
  record StrList(List<String> values) implements Value {
    public StrList {
      values = List.copyOf(values);
    }
  }

  /** Evaluation failed (e.g. a missing tag); CEL's error value. */
  record Err(String reason) implements Value {}

  static Bool of(boolean b) {
    return b ? TRUE : FALSE;
  }
}
