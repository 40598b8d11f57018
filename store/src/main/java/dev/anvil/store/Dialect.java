package dev.anvil.store;

import java.util.Locale;

/** The databases the store runs on, told apart by the JDBC URL. */
public enum Dialect {
  /** H2 in file mode: the embedded default, one file in the data directory. */
  H2("jdbc:h2:"),
  /** PostgreSQL: the store of a cluster, shared by replicas. */
  POSTGRESQL("jdbc:postgresql:");

  private final String prefix;

  Dialect(String prefix) {
    this.prefix = prefix;
  }

  /**
   * The dialect of a JDBC URL.
   *
   * @throws StoreException for a URL of another database, naming the ones supported
   */
  public static Dialect of(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    for (Dialect d : values()) {
      if (lower.startsWith(d.prefix)) {
        return d;
      }
    }
    throw new StoreException(
        "store URL: expected jdbc:h2:file:... (embedded) or jdbc:postgresql://HOST/DB, but was '"
            + redact(url)
            + "'");
  }

  /** A URL as messages may show it: without its parameters, which may hold a password. */
  static String redact(String url) {
    int q = url.indexOf('?');
    int semi = url.indexOf(';');
    int cut = q < 0 ? semi : semi < 0 ? q : Math.min(q, semi);
    return cut < 0 ? url : url.substring(0, cut) + "...";
  }
}
