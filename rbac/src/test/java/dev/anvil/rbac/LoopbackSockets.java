package dev.anvil.rbac;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the machine's listening TCP sockets from {@code /proc/net/tcp} and {@code /proc/net/tcp6}
 * (and their owners from {@code /proc/PID/fd}), to prove test servers bind to loopback only. It
 * reads the kernel's tables itself rather than running {@code ss}, so a test needs no binary that a
 * fresh machine may lack.
 */
public final class LoopbackSockets {
  private static final String LISTEN = "0A";

  private LoopbackSockets() {}

  /**
   * A listening socket: its local address as {@code ss} prints it ({@code 127.0.0.1:7070}, {@code
   * [::ffff:127.0.0.1]:7070}, {@code [::]:7070}) and the processes owning it.
   */
  public record Listener(String localAddress, List<Long> pids) {
    public boolean loopbackOnly() {
      return localAddress.startsWith("127.0.0.1:")
          || localAddress.startsWith("[::ffff:127.0.0.1]:");
    }
  }

  /** Every listening TCP socket of this machine's network namespace. */
  public static List<Listener> listeners() throws IOException {
    Map<String, List<Long>> owners = socketOwners();
    List<Listener> result = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.exists(file)) {
        continue; // no IPv6 in this kernel
      }
      for (String line : Files.readAllLines(file).stream().skip(1).toList()) {
        String[] cols = line.trim().split("\\s+");
        if (cols.length < 10 || !cols[3].equals(LISTEN)) {
          continue;
        }
        result.add(new Listener(address(cols[1]), owners.getOrDefault(cols[9], List.of())));
      }
    }
    return result;
  }

  /** The listeners on a port. */
  public static List<Listener> onPort(int port) throws IOException {
    return listeners().stream().filter(l -> l.localAddress().endsWith(":" + port)).toList();
  }

  /** The listeners owned by any of these processes. */
  public static List<Listener> ofProcesses(List<Long> pids) throws IOException {
    return listeners().stream().filter(l -> l.pids().stream().anyMatch(pids::contains)).toList();
  }

  /** {@code 0100007F:1F90} is 127.0.0.1:8080: the address in the kernel's byte order, the port. */
  static String address(String hex) {
    String[] parts = hex.split(":");
    int port = Integer.parseInt(parts[1], 16);
    String a = parts[0];
    if (a.length() == 8) {
      return ipv4(a) + ":" + port;
    }
    // IPv6: four 32-bit words, each in the kernel's (little-endian) byte order.
    byte[] b = new byte[16];
    for (int w = 0; w < 4; w++) {
      for (int i = 0; i < 4; i++) {
        int at = w * 8 + (3 - i) * 2;
        b[w * 4 + i] = (byte) Integer.parseInt(a.substring(at, at + 2), 16);
      }
    }
    boolean zeroPrefix = true;
    for (int i = 0; i < 10; i++) {
      zeroPrefix &= b[i] == 0;
    }
    if (zeroPrefix && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
      return "[::ffff:%d.%d.%d.%d]:%d"
          .formatted(b[12] & 0xff, b[13] & 0xff, b[14] & 0xff, b[15] & 0xff, port);
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 16; i += 2) {
      sb.append(i == 0 ? "" : ":")
          .append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)));
    }
    String full = sb.append("]").toString();
    return (full.equals("[0:0:0:0:0:0:0:0]")
            ? "[::]"
            : full.equals("[0:0:0:0:0:0:0:1]") ? "[::1]" : full)
        + ":"
        + port;
  }

  private static String ipv4(String hex) {
    long v = Long.parseLong(hex, 16);
    return (v & 0xff)
        + "."
        + ((v >> 8) & 0xff)
        + "."
        + ((v >> 16) & 0xff)
        + "."
        + ((v >> 24) & 0xff);
  }

  /** Socket inode to the processes holding it open. */
  private static Map<String, List<Long>> socketOwners() throws IOException {
    Map<String, List<Long>> owners = new HashMap<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        long pid = Long.parseLong(proc.getFileName().toString());
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
          for (Path fd : fds) {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              owners
                  .computeIfAbsent(target.substring(8, target.length() - 1), k -> new ArrayList<>())
                  .add(pid);
            }
          }
        } catch (IOException e) {
          // the process ended meanwhile, or its descriptors are not ours to read
        }
      }
    }
    return owners;
  }
}
