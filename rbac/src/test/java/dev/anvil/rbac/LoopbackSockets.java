package dev.anvil.rbac;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads listening TCP sockets with {@code ss}, to prove test servers bind to loopback only. */
public final class LoopbackSockets {
  private static final Pattern LOOPBACK =
      Pattern.compile("(127\\.0\\.0\\.1|\\[::ffff:127\\.0\\.0\\.1\\]):\\d+");
  private static final Pattern PID = Pattern.compile("pid=(\\d+)");

  private LoopbackSockets() {}

  /** A listening socket: its local address and the processes owning it. */
  public record Listener(String localAddress, List<Long> pids) {
    public boolean loopbackOnly() {
      return LOOPBACK.matcher(localAddress).matches();
    }
  }

  /** Every listening TCP socket of this machine. */
  public static List<Listener> listeners() throws IOException, InterruptedException {
    Process ss = new ProcessBuilder("ss", "-ltnpH").redirectErrorStream(true).start();
    String out = new String(ss.getInputStream().readAllBytes());
    ss.waitFor();
    List<Listener> result = new ArrayList<>();
    for (String line : out.lines().toList()) {
      String[] cols = line.trim().split("\\s+");
      if (cols.length < 4) {
        continue;
      }
      List<Long> pids = new ArrayList<>();
      Matcher m = PID.matcher(line);
      while (m.find()) {
        pids.add(Long.parseLong(m.group(1)));
      }
      result.add(new Listener(cols[3], pids));
    }
    return result;
  }

  /** The listeners on a port. */
  public static List<Listener> onPort(int port) throws IOException, InterruptedException {
    return listeners().stream().filter(l -> l.localAddress().endsWith(":" + port)).toList();
  }

  /** The listeners owned by any of these processes. */
  public static List<Listener> ofProcesses(List<Long> pids)
      throws IOException, InterruptedException {
    return listeners().stream().filter(l -> l.pids().stream().anyMatch(pids::contains)).toList();
  }
}
