package dev.anvil.rbac;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small reader of protobuf's text format, enough for cel-spec's conformance files
 * (tests/simple/testdata/*.textproto): fields as {@code name: value}, {@code name { ... }}, {@code
 * name: [a, b]}, extension and {@code Any} names in brackets, {@code #} comments, adjacent string
 * literals concatenated, and every string escape the format has (octal and hex bytes, {@code \\u}
 * and {@code \\U}), strings being UTF-8. It reads without a schema, so a scalar is its text (a
 * string literal decoded); a caller asks for the fields it knows. Not thread-safe.
 */
public final class TextProto {

  /** A message: each field name with its values, in order (text, or a nested message). */
  public record Message(Map<String, List<Object>> fields) {
    /** The nested messages under {@code name}. */
    public List<Message> messages(String name) {
      return fields.getOrDefault(name, List.of()).stream()
          .filter(Message.class::isInstance)
          .map(Message.class::cast)
          .toList();
    }

    /** The first nested message under {@code name}. */
    public Optional<Message> message(String name) {
      return messages(name).stream().findFirst();
    }

    /** The text of a scalar field. */
    public Optional<String> text(String name) {
      return fields.getOrDefault(name, List.of()).stream()
          .filter(String.class::isInstance)
          .map(String.class::cast)
          .findFirst();
    }

    /** Whether the field is set at all. */
    public boolean has(String name) {
      return fields.containsKey(name);
    }
  }

  private record Token(String text, boolean string) {}

  private final String src;
  private int pos;
  private Token peeked;

  private TextProto(String src) {
    this.src = src;
  }

  /**
   * Parses a whole file as one message.
   *
   * @throws IllegalArgumentException naming the offset where the text is not in the format
   */
  public static Message parse(String text) {
    TextProto p = new TextProto(text);
    Message m = p.message(null);
    if (p.peek() != null) {
      throw p.error("unexpected " + p.peek().text());
    }
    return m;
  }

  private Message message(String end) {
    Map<String, List<Object>> fields = new LinkedHashMap<>();
    while (true) {
      Token t = peek();
      if (t == null) {
        if (end != null) {
          throw error("missing '" + end + "'");
        }
        break;
      }
      if (!t.string() && t.text().equals(end)) {
        next();
        break;
      }
      String name = fieldName();
      if (is(":")) {
        next();
      }
      List<Object> values = fields.computeIfAbsent(name, k -> new ArrayList<>());
      if (is("[")) {
        next();
        while (!is("]")) {
          values.add(value());
          if (is(",")) {
            next();
          }
        }
        next();
      } else {
        values.add(value());
      }
      if (is(",") || is(";")) {
        next();
      }
    }
    return new Message(fields);
  }

  private String fieldName() {
    if (!is("[")) {
      return word();
    }
    next();
    StringBuilder sb = new StringBuilder("[");
    while (!is("]")) {
      sb.append(next().text());
    }
    next();
    return sb.append(']').toString();
  }

  private Object value() {
    if (is("{")) {
      next();
      return message("}");
    }
    if (is("<")) {
      next();
      return message(">");
    }
    Token t = next();
    if (!t.string()) {
      return t.text();
    }
    StringBuilder sb = new StringBuilder(t.text());
    while (peek() != null && peek().string()) {
      sb.append(next().text());
    }
    return sb.toString();
  }

  private String word() {
    Token t = next();
    if (t.string()) {
      throw error("expected a field name, found a string");
    }
    return t.text();
  }

  private boolean is(String punct) {
    Token t = peek();
    return t != null && !t.string() && t.text().equals(punct);
  }

  private Token next() {
    Token t = peek();
    if (t == null) {
      throw error("unexpected end");
    }
    peeked = null;
    return t;
  }

  private Token peek() {
    if (peeked == null) {
      peeked = scan();
    }
    return peeked;
  }

  private Token scan() {
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == '#') {
        while (pos < src.length() && src.charAt(pos) != '\n') {
          pos++;
        }
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else {
        break;
      }
    }
    if (pos >= src.length()) {
      return null;
    }
    char c = src.charAt(pos);
    if ("{}<>[]:,;".indexOf(c) >= 0) {
      pos++;
      return new Token(String.valueOf(c), false);
    }
    if (c == '"' || c == '\'') {
      return new Token(string(c), true);
    }
    int start = pos;
    while (pos < src.length()
        && !Character.isWhitespace(src.charAt(pos))
        && "{}<>[]:,;\"'#".indexOf(src.charAt(pos)) < 0) {
      pos++;
    }
    return new Token(src.substring(start, pos), false);
  }

  /** A quoted string: escapes produce UTF-8 bytes (octal and hex) or code points. */
  private String string(char quote) {
    pos++;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    while (true) {
      if (pos >= src.length()) {
        throw error("unterminated string");
      }
      int cp = src.codePointAt(pos);
      pos += Character.charCount(cp);
      if (cp == quote) {
        break;
      }
      if (cp != '\\') {
        bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        continue;
      }
      char e = src.charAt(pos++);
      switch (e) {
        case 'n' -> bytes.write('\n');
        case 't' -> bytes.write('\t');
        case 'r' -> bytes.write('\r');
        case 'a' -> bytes.write(7);
        case 'b' -> bytes.write('\b');
        case 'f' -> bytes.write('\f');
        case 'v' -> bytes.write(11);
        case 'x', 'X' -> bytes.write(digits(16, 2));
        case 'u' -> codePoint(bytes, digits(16, 4));
        case 'U' -> codePoint(bytes, digits(16, 8));
        default -> {
          if (e >= '0' && e <= '7') {
            pos--;
            bytes.write(digits(8, 3));
          } else {
            bytes.write(e); // \\ \' \" \?
          }
        }
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private int digits(int radix, int max) {
    int start = pos;
    while (pos < src.length()
        && pos - start < max
        && Character.digit(src.charAt(pos), radix) >= 0) {
      pos++;
    }
    if (pos == start) {
      throw error("bad escape");
    }
    return Integer.parseInt(src.substring(start, pos), radix);
  }

  private static void codePoint(ByteArrayOutputStream bytes, int cp) {
    bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at offset " + pos);
  }
}
