package dev.anvil.rbac.filter;

/** Renders filters for people: one node per line, children indented. */
public final class FilterFormat {
  private FilterFormat() {}

  /** A multi-line rendering, e.g. {@code all of:} followed by indented children. */
  public static String tree(Filter f) {
    StringBuilder sb = new StringBuilder();
    append(sb, f, 0);
    return sb.toString();
  }

  private static void append(StringBuilder sb, Filter f, int depth) {
    sb.append("  ".repeat(depth));
    switch (f) {
      case Filter.And a -> {
        sb.append("all of:\n");
        a.children().forEach(c -> append(sb, c, depth + 1));
      }
      case Filter.Or o -> {
        sb.append("any of:\n");
        o.children().forEach(c -> append(sb, c, depth + 1));
      }
      case Filter.Not(Filter.And a) -> {
        sb.append("not all of:\n");
        a.children().forEach(c -> append(sb, c, depth + 1));
      }
      case Filter.Not(Filter.Or o) -> {
        sb.append("none of:\n");
        o.children().forEach(c -> append(sb, c, depth + 1));
      }
      case Filter.Not n -> sb.append("not ").append(n.child()).append('\n');
      case Filter.All a -> sb.append("every document\n");
      case Filter.None n -> sb.append("no document\n");
      default -> sb.append(f).append('\n');
    }
  }
}
