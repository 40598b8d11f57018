package dev.anvil.rbac.input;

import java.io.Reader;

/**
 * Reads a string, never ending a read between the two halves of a surrogate pair. snakeyaml-engine
 * 2.10's {@code StreamReader}, finding a high surrogate at the end of a full buffer, reads its low
 * half one past the buffer's end: a file with a character outside the Basic Multilingual Plane (an
 * emoji) at character 1,024 failed to load with an {@code IndexOutOfBoundsException}. Every YAML
 * Anvil reads goes through one. Not thread-safe.
 */
public final class PairSafeReader extends Reader {
  private final String text;
  private int pos;

  public PairSafeReader(String text) {
    this.text = text;
  }

  @Override
  public int read(char[] buf, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (pos >= text.length()) {
      return -1;
    }
    int n = Math.min(len, text.length() - pos);
    if (n > 1 && Character.isHighSurrogate(text.charAt(pos + n - 1))) {
      n--; // leave the pair whole for the next read
    }
    text.getChars(pos, pos + n, buf, off);
    pos += n;
    return n;
  }

  @Override
  public void close() {}
}
