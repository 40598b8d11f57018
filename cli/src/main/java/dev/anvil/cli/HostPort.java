package dev.anvil.cli;

import dev.anvil.rbac.input.RbacException;

/**
 * The {@code HOST:PORT} of a server option ({@code --server}, {@code --trainer}, {@code --engine}).
 */
record HostPort(String host, int port) {
  /** Whether {@code host} names a loopback address (an unknown name does not). */
  static boolean loopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** Parses {@code value}; {@code option} names it in the error. */
  static HostPort parse(String option, String value) {
    int colon = value.lastIndexOf(':');
    try {
      return new HostPort(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    } catch (RuntimeException e) {
      throw new RbacException(option + ": expected HOST:PORT, was '" + value + "'");
    }
  }
}
