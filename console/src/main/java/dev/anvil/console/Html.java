package dev.anvil.console;

/**
 * A page being written: markup only from constants in this module ({@link #raw}), every value
 * escaped ({@link #text}, {@link #attr}), so nothing a caller, a document or a policy file holds
 * can become markup. Not thread-safe: one per response.
 */
final class Html {
  private final StringBuilder out = new StringBuilder(8192);

  /** Escapes text for an element's content or a quoted attribute value. */
  static String escape(Object value) {
    String s = String.valueOf(value);
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** Appends markup written in this module (never a value). */
  Html raw(String markup) {
    out.append(markup);
    return this;
  }

  /** Appends a value as text. */
  Html text(Object value) {
    out.append(escape(value));
    return this;
  }

  /** {@code <tag>value</tag>}, the value escaped. */
  Html el(String tag, Object value) {
    return raw("<" + tag + ">").text(value).raw("</" + tag + ">");
  }

  /** A table row of cells, each escaped. */
  Html row(Object... cells) {
    raw("<tr>");
    for (Object c : cells) {
      el("td", c);
    }
    return raw("</tr>");
  }

  /** A table header row. */
  Html head(String... cells) {
    raw("<tr>");
    for (String c : cells) {
      el("th", c);
    }
    return raw("</tr>");
  }

  /** {@code name="value"} with the value escaped, for attributes. */
  Html attr(String name, Object value) {
    return raw(" " + name + "=\"").text(value).raw("\"");
  }

  /** A hidden form field. */
  Html hidden(String name, String value) {
    return raw("<input type=\"hidden\"").attr("name", name).attr("value", value).raw(">");
  }

  /** A labelled text input. */
  Html input(String label, String name, String value) {
    return raw("<label>")
        .text(label)
        .raw(" <input type=\"text\"")
        .attr("name", name)
        .attr("id", name)
        .attr("value", value)
        .raw("></label> ");
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
