package dev.anvil.judge.internal;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random ids: an id says nothing of what it names, so a guessed one probes nothing. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  /** 128 random bits as 32 hex digits, with a prefix saying what it names. */
  public static String random(String prefix) {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }
}
